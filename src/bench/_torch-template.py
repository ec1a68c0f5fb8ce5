#!/usr/bin/env python3
"""genready bench for PyTorch: the catalog's denoisers (UNet, SD3 MMDiT, FLUX, PixArt DiT), VAE
decoders and CLIP text encoders, built from the same architecture descriptions as genready's cost
model and ONNX graphs, with random weights (nothing to download).

Measures seconds per denoising step and per VAE decode, and peak allocated/reserved memory, on a
CUDA, ROCm or Apple MPS device, and prints JSON on stdout for `genready bench --import FILE`.

    python3 genready_bench.py > results.json   # progress goes to stderr
    genready bench --import results.json
    python3 genready_bench.py --device cpu     # fp32, plain attention; timings only (no GPU to calibrate)

Check mode (a script written with components to check): loads a .safetensors checkpoint itself,
binds its tensors to the modules through the name maps genready's ONNX graphs bind them with, runs
the UNet, the VAE decoder and the CLIP text encoder on the inputs of a .safetensors file and writes
their outputs to another, on the CPU in fp32:

    python3 genready_bench.py --check model.safetensors --inputs in.safetensors --out out.safetensors

Needs only torch: >= 2.0 for the GPU path (scaled_dot_product_attention, meta-device construction);
1.13 and later run the CPU path and the check mode in fp32 with plain softmax(QK^T/sqrt(d))V
attention. Written by genready __GENREADY_VERSION__.
"""
import argparse
import contextlib
import datetime
import gc
import json
import math
import mmap
import os
import platform
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CASES = json.loads(r"""__CASES__""")
PIPELINES = json.loads(r"""__PIPELINES__""")
# Components for the check mode: [{role, arch, entries: [[graph name, checkpoint name, kind, rows, swap halves]]}].
CHECK = json.loads(r"""__CHECK__""")
WARMUP = __WARMUP__
ITERATIONS = __ITERATIONS__
SEED = __SEED__
# Width of the pooled text embedding SDXL-style UNets take; each micro-condition is a 256-wide sinusoid.
POOLED_TEXT_DIM = 1280
ADDITION_TIME_EMBED_DIM = 256


class RMSNorm(nn.Module):
    """RMS norm over the last axis with a learned scale (nn.RMSNorm needs torch >= 2.4)."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def reset_parameters(self):
        nn.init.ones_(self.weight)

    def forward(self, x):
        return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


# The attention of the case being measured: "sdpa" (torch picks a fused kernel), "math" (SDPA's
# reference kernel) or "naive" (scores and softmax materialised in the input dtype, as diffusers'
# classic attention processor and code from before PyTorch 2.0 do). Torch before 2.0 has no SDPA:
# every mode runs the naive one there.
ATTENTION = {"mode": "sdpa"}
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def torch_major():
    try:
        return int(str(torch.__version__).split(".")[0])
    except ValueError:
        return 0


def attend(q, k, v, mask=None):
    """softmax(QK^T / sqrt(d) + mask) V over [B, H, N, d]; `mask` is added to the scores ([N, M])."""
    if ATTENTION["mode"] != "naive" and HAS_SDPA:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = torch.matmul(q, k.transpose(-1, -2)).mul_(q.shape[-1] ** -0.5)
    if mask is not None:
        scores = scores + mask
    probs = scores.softmax(dim=-1)
    del scores
    return torch.matmul(probs, v)


def split_heads(x, heads, norm=None):
    """[B, N, d] → [B, heads, N, d/heads], RMS-normed over the head width when `norm` is given."""
    b, n, d = x.shape
    h = x.view(b, n, heads, d // heads)
    if norm is not None:
        h = norm(h)
    return h.transpose(1, 2)


def merge_heads(o):
    b, h, n, hd = o.shape
    return o.transpose(1, 2).reshape(b, n, h * hd)


class Attention(nn.Module):
    def __init__(self, dim, heads, ctx_dim=None, qkv_bias=False, out_bias=True, qk_norm=False):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=qkv_bias)
        self.to_k = nn.Linear(ctx_dim, dim, bias=qkv_bias)
        self.to_v = nn.Linear(ctx_dim, dim, bias=qkv_bias)
        self.to_out = nn.Linear(dim, dim, bias=out_bias)
        self.norm_q = RMSNorm(dim // heads) if qk_norm else None
        self.norm_k = RMSNorm(dim // heads) if qk_norm else None

    def forward(self, x, ctx=None, mask=None):
        ctx = x if ctx is None else ctx
        h = self.heads
        q = split_heads(self.to_q(x), h, self.norm_q)
        k = split_heads(self.to_k(ctx), h, self.norm_k)
        v = split_heads(self.to_v(ctx), h)
        return self.to_out(merge_heads(attend(q, k, v, mask)))


class Resnet(nn.Module):
    def __init__(self, ci, co, groups, eps, temb_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, ci, eps=eps)
        self.conv1 = nn.Conv2d(ci, co, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_dim, co) if temb_dim else None
        self.norm2 = nn.GroupNorm(groups, co, eps=eps)
        self.conv2 = nn.Conv2d(co, co, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


def scope(parent, name):
    """An empty module registered under `name`: parameter names then follow the ONNX graph's scopes
    (`down1.attn0.block0.attn2.to_k.weight`), which is how the check mode binds a checkpoint."""
    m = nn.Module()
    parent.add_module(name, m)
    return m


def child(parent, name, module):
    parent.add_module(name, module)
    return module


class FeedForward(nn.Module):
    """GEGLU: one projection to value and gate halves, GELU on the gate, projection back."""

    def __init__(self, c):
        super().__init__()
        self.proj = nn.Linear(c, 8 * c)
        self.out = nn.Linear(4 * c, c)

    def forward(self, x):
        value, gate = self.proj(x).chunk(2, dim=-1)
        return self.out(value * F.gelu(gate))


class BasicTransformerBlock(nn.Module):
    def __init__(self, c, heads, ctx_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(c)
        self.attn1 = Attention(c, heads)
        self.norm2 = nn.LayerNorm(c)
        self.attn2 = Attention(c, heads, ctx_dim)
        self.norm3 = nn.LayerNorm(c)
        self.ff = FeedForward(c)

    def forward(self, x, ctx):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), ctx)
        return x + self.ff(self.norm3(x))


class Transformer2D(nn.Module):
    def __init__(self, c, depth, heads, groups, ctx_dim):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.proj_in = nn.Linear(c, c)
        self.blocks = [child(self, f"block{d}", BasicTransformerBlock(c, heads, ctx_dim)) for d in range(depth)]
        self.proj_out = nn.Linear(c, c)

    def forward(self, x, ctx):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x).reshape(b, c, hh * ww).transpose(1, 2))
        for blk in self.blocks:
            h = blk(h, ctx)
        return x + self.proj_out(h).transpose(1, 2).reshape(b, c, hh, ww)


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def sinusoid(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    arg = t.float()[:, None] * freqs[None]
    return torch.cat([arg.cos(), arg.sin()], dim=-1)


class TimeEmbedding(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.linear_1 = nn.Linear(i, o)
        self.linear_2 = nn.Linear(o, o)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class UNet(nn.Module):
    """diffusers UNet2DConditionModel layout: conv_in, down blocks, mid, up blocks with skips, norm,
    conv_out; modules named as the ONNX graph's scopes (down{level}.res{j}, mid.attn, up{i}.upsample)."""

    def __init__(self, a):
        super().__init__()
        c0 = a["blockOut"][0]
        T = 4 * c0
        g = a["normGroups"]
        self.c0 = c0
        self.time_embedding = TimeEmbedding(c0, T)
        self.n_ids = 0
        if a["additionEmbedInput"] is not None:
            self.n_ids = (a["additionEmbedInput"] - POOLED_TEXT_DIM) // ADDITION_TIME_EMBED_DIM
            self.add_embedding = TimeEmbedding(a["additionEmbedInput"], T)
        self.conv_in = nn.Conv2d(a["inChannels"], c0, 3, padding=1)
        ctx_dim = a["crossAttentionDim"]
        # The forward pass as a list of steps: (kind, module); "skip" keeps the output, "cat" joins one.
        self.down_steps = []
        ch = c0
        skip_ch = [c0]
        levels = len(a["blockOut"])
        for i, out in enumerate(a["blockOut"]):
            lvl = scope(self, f"down{i}")
            for j in range(a["layersPerBlock"]):
                self.down_steps.append(("res", child(lvl, f"res{j}", Resnet(ch, out, g, 1e-5, T))))
                ch = out
                if a["crossAttention"][i]:
                    xf = Transformer2D(ch, a["transformerDepth"][i], a["heads"][i], g, ctx_dim)
                    self.down_steps.append(("attn", child(lvl, f"attn{j}", xf)))
                self.down_steps.append(("skip", None))
                skip_ch.append(ch)
            if i < levels - 1:
                self.down_steps.append(("conv", child(lvl, "downsample", nn.Conv2d(ch, ch, 3, stride=2, padding=1))))
                self.down_steps.append(("skip", None))
                skip_ch.append(ch)
        mid = scope(self, "mid")
        self.mid_steps = [("res", child(mid, "res0", Resnet(ch, ch, g, 1e-5, T)))]
        if a["midAttention"]:
            self.mid_steps.append(("attn", child(mid, "attn", Transformer2D(ch, a["midTransformerDepth"], a["heads"][-1], g, ctx_dim))))
        self.mid_steps.append(("res", child(mid, "res1", Resnet(ch, ch, g, 1e-5, T))))
        self.up_steps = []
        for i in range(levels):
            lvl_i = levels - 1 - i
            out = a["blockOut"][lvl_i]
            lvl = scope(self, f"up{i}")
            for j in range(a["layersPerBlock"] + 1):
                s = skip_ch.pop()
                self.up_steps.append(("cat", None))
                self.up_steps.append(("res", child(lvl, f"res{j}", Resnet(ch + s, out, g, 1e-5, T))))
                ch = out
                if a["crossAttention"][lvl_i]:
                    xf = Transformer2D(ch, a["transformerDepth"][lvl_i], a["heads"][lvl_i], g, ctx_dim)
                    self.up_steps.append(("attn", child(lvl, f"attn{j}", xf)))
            if i < levels - 1:
                self.up_steps.append(("conv", child(lvl, "upsample", Upsample(ch))))
        self.norm_out = nn.GroupNorm(g, ch, eps=1e-5)
        self.conv_out = nn.Conv2d(ch, a["outChannels"], 3, padding=1)

    @staticmethod
    def _run(steps, h, temb, ctx, skips):
        for kind, m in steps:
            if kind == "skip":
                skips.append(h)
            elif kind == "cat":
                h = torch.cat([h, skips.pop()], dim=1)
            elif kind == "res":
                h = m(h, temb)
            elif kind == "attn":
                h = m(h, ctx)
            else:
                h = m(h)
        return h

    def forward(self, sample, timestep, ctx, text_embeds=None, time_ids=None):
        emb = self.time_embedding(sinusoid(timestep, self.c0).to(sample.dtype))
        if self.n_ids:
            ids = sinusoid(time_ids.reshape(-1), ADDITION_TIME_EMBED_DIM).to(sample.dtype).reshape(sample.shape[0], -1)
            emb = emb + self.add_embedding(torch.cat([text_embeds, ids], dim=-1))
        temb = F.silu(emb)
        h = self.conv_in(sample)
        skips = [h]
        h = self._run(self.down_steps, h, temb, ctx, skips)
        h = self._run(self.mid_steps, h, temb, ctx, skips)
        h = self._run(self.up_steps, h, temb, ctx, skips)
        return self.conv_out(F.silu(self.norm_out(h)))


class VaeAttention(Attention):
    """The decoder's single-head mid attention over the pixels, with its GroupNorm (graph `mid.attn`)."""

    def __init__(self, c, groups):
        super().__init__(c, 1, qkv_bias=True)
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)

    def forward(self, x):
        b, c, hh, ww = x.shape
        t = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        return x + super().forward(t).transpose(1, 2).reshape(b, c, hh, ww)


class VaeDecoder(nn.Module):
    """AutoencoderKL decoder: [post_quant_conv], conv_in, mid (resnet, attention, resnet), up blocks, norm, conv_out."""

    def __init__(self, a):
        super().__init__()
        g = a["normGroups"]
        rev = list(reversed(a["blockOut"]))
        L = a["latentChannels"]
        ch = rev[0]
        self.post_quant_conv = nn.Conv2d(L, L, 1) if a["quantConv"] else None
        self.conv_in = nn.Conv2d(L, ch, 3, padding=1)
        mid = scope(self, "mid")
        self.steps = [child(mid, "res0", Resnet(ch, ch, g, 1e-6, 0))]
        if a["midAttention"]:
            self.steps.append(child(mid, "attn", VaeAttention(ch, g)))
        self.steps.append(child(mid, "res1", Resnet(ch, ch, g, 1e-6, 0)))
        for i, out in enumerate(rev):
            lvl = scope(self, f"up{i}")
            for j in range(a["layersPerBlock"] + 1):
                self.steps.append(child(lvl, f"res{j}", Resnet(ch, out, g, 1e-6, 0)))
                ch = out
            if i < len(rev) - 1:
                self.steps.append(child(lvl, "upsample", Upsample(ch)))
        self.norm_out = nn.GroupNorm(g, ch, eps=1e-6)
        self.conv_out = nn.Conv2d(ch, a["imageChannels"], 3, padding=1)

    def forward(self, z):
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        h = self.conv_in(z)
        for m in self.steps:
            h = m(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def gelu_tanh(x):
    """GELU with the tanh approximation: the DiT families' feed-forwards (diffusers' gelu-approximate)."""
    return F.gelu(x, approximate="tanh")


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class ClipLayer(nn.Module):
    def __init__(self, d, heads, ffn, act):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(d)
        self.self_attn = Attention(d, heads, qkv_bias=True)
        self.layer_norm2 = nn.LayerNorm(d)
        self.mlp = TwoLayerFc(d, ffn, act)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask=mask)
        return x + self.mlp(self.layer_norm2(x))


class TwoLayerFc(nn.Module):
    def __init__(self, d, ffn, act):
        super().__init__()
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.act = act

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ClipText(nn.Module):
    """transformers CLIPTextModel(WithProjection): token + position embeddings, pre-LN layers with
    causal self-attention and a quick_gelu (OpenAI CLIP) or exact gelu (OpenCLIP) MLP, final norm;
    pooled = the state at the highest token id (EOS), projected when the architecture has one."""

    def __init__(self, a):
        super().__init__()
        d = a["width"]
        act = F.gelu if a.get("activation", "quick_gelu") == "gelu" else quick_gelu
        emb = scope(self, "embeddings")
        emb.token_embedding = nn.Embedding(a["vocab"], d)
        emb.position_embedding = nn.Embedding(a["maxTokens"], d)
        self.layers = [child(self, f"layer{i}", ClipLayer(d, a["heads"], a["ffn"], act)) for i in range(a["layers"])]
        self.final_layer_norm = nn.LayerNorm(d)
        self.text_projection = nn.Linear(d, a["projection"], bias=False) if a["projection"] else None

    def forward(self, ids):
        ids = ids.long()
        n = ids.shape[1]
        h = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding.weight[:n][None]
        mask = torch.full((n, n), float("-inf"), dtype=h.dtype, device=h.device).triu(1)
        for layer in self.layers:
            h = layer(h, mask)
        last = self.final_layer_norm(h)
        pooled = last[torch.arange(last.shape[0], device=last.device), ids.argmax(dim=-1)]
        return last, (self.text_projection(pooled) if self.text_projection is not None else pooled)


# --- Transformer denoisers: the same layer layout as genready's ONNX graphs (src/graph/). ---


def plain_norm(x):
    """LayerNorm without learned affine (the DiTs' adaLN norms)."""
    return F.layer_norm(x, x.shape[-1:], eps=1e-6)


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


def mod_chunks(linear, act, k):
    """adaLN modulation: one linear on SiLU(conditioning), split into k tensors of [B, 1, d]."""
    return linear(act)[:, None].chunk(k, dim=-1)


class TwoLayer(nn.Module):
    """linear → activation → linear: timestep / text embedders (SiLU) and feed-forwards (GELU); the two
    linears named as the ONNX graph names them (`linear_1`/`linear_2`, `up`/`down`, ...)."""

    def __init__(self, i, hidden, o, act, names=("fc1", "fc2")):
        super().__init__()
        self.names = names
        self.add_module(names[0], nn.Linear(i, hidden))
        self.add_module(names[1], nn.Linear(hidden, o))
        self.act = act

    def forward(self, x):
        return getattr(self, self.names[1])(self.act(getattr(self, self.names[0])(x)))


def linear_in(parent, name, i, o):
    """A linear layer under a scope of its own (`norm1.linear`, the graph's adaLN projections)."""
    scope(parent, name).linear = nn.Linear(i, o)


def pos_table(h, w, d, device):
    """2-D sin-cos positions for the actual h × w token grid: height half, then width half."""
    q = d // 4
    omega = 1.0 / 10000 ** (torch.arange(q, dtype=torch.float32, device=device) / q)

    def axis(n):
        arg = torch.arange(n, dtype=torch.float32, device=device)[:, None] * omega[None]
        return torch.cat([arg.sin(), arg.cos()], dim=-1)

    eh = axis(h)[:, None, :].expand(h, w, d // 2)
    ew = axis(w)[None, :, :].expand(h, w, d // 2)
    return torch.cat([eh, ew], dim=-1).reshape(1, h * w, d)


class PatchEmbed(nn.Module):
    def __init__(self, cin, d, p):
        super().__init__()
        self.proj = nn.Conv2d(cin, d, p, stride=p)

    def forward(self, x):
        y = self.proj(x)
        b, d, h, w = y.shape
        return y.flatten(2).transpose(1, 2) + pos_table(h, w, d, x.device).to(x.dtype), (h, w)


def unpatchify(x, hw, p, c):
    h, w = hw
    return x.reshape(x.shape[0], h, w, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(x.shape[0], c, h * p, w * p)


class JointAttention(nn.Module):
    """SD3 joint attention: q/k/v per stream, attention over [image; text], split back; the last
    block's text stream only supplies keys and values (no text output projection)."""

    def __init__(self, d, heads, qk_norm, text_out):
        super().__init__()
        self.heads = heads
        self.to_q, self.to_k, self.to_v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.add_q_proj, self.add_k_proj, self.add_v_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        names = ("norm_q", "norm_k", "norm_added_q", "norm_added_k")
        self.norms = [child(self, n, RMSNorm(d // heads)) for n in names] if qk_norm else [None] * 4
        self.to_out = nn.Linear(d, d)
        self.to_add_out = nn.Linear(d, d) if text_out else None

    def forward(self, img, txt):
        h = self.heads
        nq, nk, naq, nak = self.norms
        q = torch.cat([split_heads(self.to_q(img), h, nq), split_heads(self.add_q_proj(txt), h, naq)], dim=2)
        k = torch.cat([split_heads(self.to_k(img), h, nk), split_heads(self.add_k_proj(txt), h, nak)], dim=2)
        v = torch.cat([split_heads(self.to_v(img), h), split_heads(self.add_v_proj(txt), h)], dim=2)
        o = merge_heads(attend(q, k, v))
        n = img.shape[1]
        return self.to_out(o[:, :n]), (self.to_add_out(o[:, n:]) if self.to_add_out is not None else None)


class MMDiTBlock(nn.Module):
    """adaLN-Zero joint block; MMDiT-X (`dual`) adds an image-only attention with its own modulation."""

    def __init__(self, d, heads, mlp, qk_norm, last, dual):
        super().__init__()
        self.last, self.dual = last, dual
        linear_in(self, "norm1", d, (9 if dual else 6) * d)
        linear_in(self, "norm1_context", d, (2 if last else 6) * d)
        self.attn = JointAttention(d, heads, qk_norm, not last)
        # The image-only attention (held in a list: registered once, under the graph's name): the graph
        # builds it with its qk-norm inline (`attn2.to_q`), or else with the shared helper (`attn2.self.to_q`).
        self.extra_attention = []
        if dual and qk_norm:
            self.extra_attention.append(child(self, "attn2", Attention(d, heads, qkv_bias=True, qk_norm=True)))
        elif dual:
            self.extra_attention.append(child(scope(self, "attn2"), "self", Attention(d, heads, qkv_bias=True)))
        self.ff = TwoLayer(d, mlp, d, gelu_tanh, ("up", "down"))
        self.ff_context = None if last else TwoLayer(d, mlp, d, gelu_tanh, ("up", "down"))

    def forward(self, img, txt, act):
        m = mod_chunks(self.norm1.linear, act, 9 if self.dual else 6)
        normed = plain_norm(img)
        if self.last:
            scale, shift = mod_chunks(self.norm1_context.linear, act, 2)  # AdaLayerNormContinuous: scale first
            txt_in = modulate(plain_norm(txt), shift, scale)
        else:
            c = mod_chunks(self.norm1_context.linear, act, 6)
            txt_in = modulate(plain_norm(txt), c[0], c[1])
        a_img, a_txt = self.attn(modulate(normed, m[0], m[1]), txt_in)
        y = img + m[2] * a_img
        if self.dual:
            y = y + m[8] * self.extra_attention[0](modulate(normed, m[6], m[7]))
        img = y + m[5] * self.ff(modulate(plain_norm(y), m[3], m[4]))
        if not self.last:
            t1 = txt + c[2] * a_txt
            txt = t1 + c[5] * self.ff_context(modulate(plain_norm(t1), c[3], c[4]))
        return img, txt


class MMDiT(nn.Module):
    """SD3 / SD3.5 SD3Transformer2DModel layout: patch embedding, time + pooled-text embedding,
    context embedder, joint blocks, continuous adaLN out, unpatchify."""

    def __init__(self, a):
        super().__init__()
        d = a["heads"] * a["headDim"]
        self.p, self.out = a["patchSize"], a["outChannels"]
        self.pos_embed = PatchEmbed(a["inChannels"], d, self.p)
        embed = scope(self, "time_text_embed")
        embed.timestep_embedder = TwoLayer(256, d, d, F.silu, ("linear_1", "linear_2"))
        embed.text_embedder = TwoLayer(a["pooledProjectionDim"], d, d, F.silu, ("linear_1", "linear_2"))
        self.context_embedder = nn.Linear(a["jointAttentionDim"], d)
        n = a["depth"]
        self.blocks = [child(self, f"block{i}", MMDiTBlock(d, a["heads"], a["mlpRatio"] * d, a["qkNorm"], i == n - 1, i < a["dualAttentionLayers"]))
                       for i in range(n)]
        linear_in(self, "norm_out", d, 2 * d)
        self.proj_out = nn.Linear(d, self.p * self.p * self.out)

    def forward(self, x, ctx, pooled, timestep):
        img, hw = self.pos_embed(x)
        embed = self.time_text_embed
        act = F.silu(embed.timestep_embedder(sinusoid(timestep, 256).to(x.dtype)) + embed.text_embedder(pooled))
        txt = self.context_embedder(ctx)
        for blk in self.blocks:
            img, txt = blk(img, txt, act)
        scale, shift = mod_chunks(self.norm_out.linear, act, 2)
        return unpatchify(self.proj_out(modulate(plain_norm(img), shift, scale)), hw, self.p, self.out)


def rope_axes(hd):
    """Head width split over the (index, row, column) id axes: FLUX's 16 + 56 + 56 for 128."""
    a = 2 * ((7 * hd) // 32)
    return [hd - 2 * a, a, a]


def rope_tables(ids, hd):
    """cos and sin [L, hd/2] of the rotation angles for position ids [L, 3]."""
    parts = []
    for i, a in enumerate(rope_axes(hd)):
        freqs = 1.0 / 10000 ** (torch.arange(0, a, 2, dtype=torch.float32, device=ids.device) / a)
        parts.append(ids[:, i:i + 1].float() * freqs[None])
    angles = torch.cat(parts, dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotate consecutive pairs of [B, H, L, hd] by the angles (FLUX's apply_rope)."""
    b, h, n, hd = x.shape
    pairs = x.float().reshape(b, h, n, hd // 2, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).reshape(b, h, n, hd).to(x.dtype)


class FluxDoubleBlock(nn.Module):
    """Double-stream block: fused qkv per stream, RMS qk-norm, RoPE, attention over [text; image]."""

    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.img_mod, self.txt_mod = nn.Linear(d, 6 * d), nn.Linear(d, 6 * d)
        self.img_qkv, self.txt_qkv = nn.Linear(d, 3 * d), nn.Linear(d, 3 * d)
        self.img_norms = nn.ModuleList([RMSNorm(d // heads), RMSNorm(d // heads)])
        self.txt_norms = nn.ModuleList([RMSNorm(d // heads), RMSNorm(d // heads)])
        self.img_proj, self.txt_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.img_mlp, self.txt_mlp = TwoLayer(d, mlp, d, gelu_tanh), TwoLayer(d, mlp, d, gelu_tanh)

    def _qkv(self, x, m, qkv, norms):
        q, k, v = qkv(modulate(plain_norm(x), m[0], m[1])).chunk(3, dim=-1)
        nq, nk = list(norms)
        return split_heads(q, self.heads, nq), split_heads(k, self.heads, nk), split_heads(v, self.heads)

    def forward(self, img, txt, vec, cos, sin):
        im, tm = mod_chunks(self.img_mod, vec, 6), mod_chunks(self.txt_mod, vec, 6)
        iq, ik, iv = self._qkv(img, im, self.img_qkv, self.img_norms)
        tq, tk, tv = self._qkv(txt, tm, self.txt_qkv, self.txt_norms)
        q = apply_rope(torch.cat([tq, iq], dim=2), cos, sin)
        k = apply_rope(torch.cat([tk, ik], dim=2), cos, sin)
        o = merge_heads(attend(q, k, torch.cat([tv, iv], dim=2)))
        n = txt.shape[1]
        img = img + im[2] * self.img_proj(o[:, n:])
        img = img + im[5] * self.img_mlp(modulate(plain_norm(img), im[3], im[4]))
        txt = txt + tm[2] * self.txt_proj(o[:, :n])
        txt = txt + tm[5] * self.txt_mlp(modulate(plain_norm(txt), tm[3], tm[4]))
        return img, txt


class FluxSingleBlock(nn.Module):
    """Single-stream block: one linear for qkv + MLP input, attention and MLP in parallel, one linear out."""

    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads, self.d, self.mlp = heads, d, mlp
        self.modulation = nn.Linear(d, 3 * d)
        self.linear1 = nn.Linear(d, 3 * d + mlp)
        self.norms = nn.ModuleList([RMSNorm(d // heads), RMSNorm(d // heads)])
        self.linear2 = nn.Linear(d + mlp, d)

    def forward(self, x, vec, cos, sin):
        shift, scale, gate = mod_chunks(self.modulation, vec, 3)
        d = self.d
        q, k, v, m = torch.split(self.linear1(modulate(plain_norm(x), shift, scale)), [d, d, d, self.mlp], dim=-1)
        nq, nk = list(self.norms)
        q = apply_rope(split_heads(q, self.heads, nq), cos, sin)
        k = apply_rope(split_heads(k, self.heads, nk), cos, sin)
        o = merge_heads(attend(q, k, split_heads(v, self.heads)))
        return x + gate * self.linear2(torch.cat([o, gelu_tanh(m)], dim=-1))


class Flux(nn.Module):
    """FLUX.1 FluxTransformer2DModel layout on packed 2×2 latents [B, tokens, C·4]: embedders,
    double-stream blocks, single-stream blocks on [text; image], continuous adaLN out."""

    def __init__(self, a):
        super().__init__()
        d = a["hidden"]
        packed = a["latentChannels"] * a["patchSize"] ** 2
        self.hd, self.tdim = d // a["heads"], a["timeEmbedDim"]
        self.img_in = nn.Linear(packed, d)
        self.time_in = TwoLayer(self.tdim, d, d, F.silu)
        self.guidance_in = TwoLayer(self.tdim, d, d, F.silu) if a["guidanceEmbed"] else None
        self.vector_in = TwoLayer(a["vecInDim"], d, d, F.silu)
        self.txt_in = nn.Linear(a["contextDim"], d)
        mlp = a["mlpRatio"] * d
        self.double_blocks = nn.ModuleList([FluxDoubleBlock(d, a["heads"], mlp) for _ in range(a["doubleBlocks"])])
        self.single_blocks = nn.ModuleList([FluxSingleBlock(d, a["heads"], mlp) for _ in range(a["singleBlocks"])])
        self.norm_out = nn.Linear(d, 2 * d)
        self.proj_out = nn.Linear(d, packed)

    def forward(self, x, ctx, pooled, timestep, img_ids, txt_ids, guidance=None):
        # Timesteps and guidance come in 0..1 / as the scale, multiplied by 1000 as diffusers does.
        vec = self.time_in(sinusoid(timestep * 1000, self.tdim).to(x.dtype)) + self.vector_in(pooled)
        if self.guidance_in is not None:
            vec = vec + self.guidance_in(sinusoid(guidance * 1000, self.tdim).to(x.dtype))
        vec = F.silu(vec)
        cos, sin = rope_tables(torch.cat([txt_ids, img_ids], dim=0), self.hd)
        img, txt = self.img_in(x), self.txt_in(ctx)
        for blk in self.double_blocks:
            img, txt = blk(img, txt, vec, cos, sin)
        h = torch.cat([txt, img], dim=1)
        for blk in self.single_blocks:
            h = blk(h, vec, cos, sin)
        scale, shift = mod_chunks(self.norm_out, vec, 2)
        return self.proj_out(modulate(plain_norm(h[:, txt.shape[1]:]), shift, scale))


class CrossDiTBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.scale_shift_table = nn.Parameter(torch.randn(6, d) / d ** 0.5)
        self.attn1 = Attention(d, heads, qkv_bias=True)
        self.attn2 = Attention(d, heads, d, qkv_bias=True)
        self.ff = TwoLayer(d, mlp, d, gelu_tanh, ("up", "down"))

    def reset_parameters(self):
        nn.init.normal_(self.scale_shift_table, std=self.scale_shift_table.shape[-1] ** -0.5)

    def forward(self, x, t6, ctx):
        sm, cm, gm, sf, cf, gf = (t6 + self.scale_shift_table[None]).chunk(6, dim=1)
        x = x + gm * self.attn1(modulate(plain_norm(x), sm, cm))
        x = x + self.attn2(x, ctx)
        return x + gf * self.ff(modulate(plain_norm(x), sf, cf))


class CrossDiT(nn.Module):
    """PixArt PixArtTransformer2DModel layout: patch embedding, adaLN-single timestep modulation shared
    by all blocks (each adds its own table), self- and cross-attention, MLP, modulated norm out."""

    def __init__(self, a):
        super().__init__()
        d = a["heads"] * a["headDim"]
        self.d, self.p, self.out, self.tdim = d, a["patchSize"], a["outChannels"], a["timeEmbedDim"]
        self.pos_embed = PatchEmbed(a["inChannels"], d, self.p)
        adaln = scope(self, "adaln_single")
        adaln.emb = TwoLayer(self.tdim, d, d, F.silu, ("linear_1", "linear_2"))
        adaln.linear = nn.Linear(d, 6 * d)
        self.caption_projection = TwoLayer(a["captionChannels"], d, d, gelu_tanh, ("linear_1", "linear_2"))
        self.blocks = [child(self, f"block{i}", CrossDiTBlock(d, a["heads"], a["mlpRatio"] * d)) for i in range(a["depth"])]
        self.scale_shift_table = nn.Parameter(torch.randn(2, d) / d ** 0.5)
        self.proj_out = nn.Linear(d, self.p * self.p * self.out)

    def reset_parameters(self):
        nn.init.normal_(self.scale_shift_table, std=self.d ** -0.5)

    def forward(self, x, timestep, ctx):
        h, hw = self.pos_embed(x)
        emb = self.adaln_single.emb(sinusoid(timestep, self.tdim).to(x.dtype))
        t6 = self.adaln_single.linear(F.silu(emb)).view(-1, 6, self.d)
        c = self.caption_projection(ctx)
        for blk in self.blocks:
            h = blk(h, t6, c)
        shift, scale = (emb[:, None] + self.scale_shift_table[None]).chunk(2, dim=1)
        return unpatchify(self.proj_out(modulate(plain_norm(h), shift, scale)), hw, self.p, self.out)


DENOISERS = {"unet": UNet, "mmdit": MMDiT, "flux": Flux, "cross-dit": CrossDiT}


def build_model(case):
    return (DENOISERS[case["arch"]["kind"]] if case["phase"] == "denoising" else VaeDecoder)(case["arch"])


def on_gpu(backend):
    return backend in ("cuda", "rocm")


def build_on(case, device, dtype):
    """On a GPU with torch >= 2: build on the meta device (no memory), allocate on the GPU in the
    measuring dtype, initialise there (FLUX in fp32 would need 48 GB on the host before any cast).
    Elsewhere (the CPU, torch 1.x, which has no meta-device context): build in place and cast."""
    if device.type == "cpu" or torch_major() < 2:
        return build_model(case).to(device=device, dtype=dtype)
    with torch.device("meta"):  # a context manager since torch 2.0
        model = build_model(case)
    model = model.to(dtype=dtype).to_empty(device=device)
    # to_empty leaves memory uninitialised: every module with parameters of its own re-initialises them.
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
    return model


def pick_device(want="auto"):
    if want == "cpu":
        return torch.device("cpu"), "cpu", platform.processor() or platform.machine()
    if torch.cuda.is_available():
        backend = "rocm" if getattr(torch.version, "hip", None) else "cuda"
        return torch.device("cuda"), backend, torch.cuda.get_device_name(0)
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps"), "mps", "Apple " + platform.processor() + " GPU (MPS)"
    sys.exit("genready bench: no CUDA, ROCm or MPS device visible to torch (--device cpu measures the CPU in fp32)")


def sync(backend):
    if backend == "mps":
        torch.mps.synchronize()
    elif on_gpu(backend):
        torch.cuda.synchronize()


def peak_rss():
    """The process's peak resident memory in bytes (Linux reports KiB, macOS bytes); 0 where unknown."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def memory(backend):
    """(allocated, reserved) now; CUDA/ROCm report the peaks since the last reset, the CPU the process's peak RSS."""
    if backend == "mps":
        return torch.mps.current_allocated_memory(), torch.mps.driver_allocated_memory()
    if backend == "cpu":
        rss = peak_rss()
        return rss, rss
    return torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved()


def reset_peaks(backend):
    if on_gpu(backend):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def inputs(case, device, dtype):
    a = case["arch"]
    b = case["forwardBatch"]
    h, w = case["latentHeight"], case["latentWidth"]
    gen = torch.Generator(device="cpu").manual_seed(SEED)
    rnd = lambda *shape: torch.randn(*shape, generator=gen).to(device=device, dtype=dtype)
    if case["phase"] == "vae-decode":
        return (rnd(b, a["latentChannels"], h, w),)
    t = torch.full((b,), 500.0, device=device)
    n_txt = case["textTokens"]
    if a["kind"] == "mmdit":
        return (rnd(b, a["inChannels"], h, w), rnd(b, n_txt, a["jointAttentionDim"]), rnd(b, a["pooledProjectionDim"]), t)
    if a["kind"] == "cross-dit":
        return (rnd(b, a["inChannels"], h, w), t, rnd(b, n_txt, a["captionChannels"]))
    if a["kind"] == "flux":
        # Packed 2×2 latents with FLUX's position ids: text at 0, image (0, row, column).
        p = a["patchSize"]
        gh, gw = -(-h // p), -(-w // p)
        rows = torch.arange(gh).repeat_interleave(gw)
        cols = torch.arange(gw).repeat(gh)
        img_ids = torch.stack([torch.zeros_like(rows), rows, cols], dim=-1).float().to(device)
        args = [rnd(b, gh * gw, a["latentChannels"] * p * p), rnd(b, n_txt, a["contextDim"]), rnd(b, a["vecInDim"]),
                torch.full((b,), 0.5, device=device), img_ids, torch.zeros(n_txt, 3, device=device)]
        if a["guidanceEmbed"]:
            args.append(torch.full((b,), 3.5, device=device))
        return tuple(args)
    args = [rnd(b, a["inChannels"], h, w), t, rnd(b, n_txt, a["crossAttentionDim"])]
    if a["additionEmbedInput"] is not None:
        n = (a["additionEmbedInput"] - POOLED_TEXT_DIM) // ADDITION_TIME_EMBED_DIM
        ids = torch.tensor([[8.0 * h, 8.0 * w, 0.0, 0.0, 8.0 * h, 8.0 * w][:n] + [6.0] * max(0, n - 6)] * b)
        args += [rnd(b, POOLED_TEXT_DIM), ids.to(device=device, dtype=dtype)]
    return tuple(args)


DTYPES = {"fp16": torch.float16, "fp32": torch.float32}


def attention_kernel(mode):
    """'math' forces SDPA's reference kernel, which materialises the attention scores (what code
    without fused attention does); 'sdpa' leaves torch free to pick flash or memory-efficient kernels.
    Without SDPA (torch < 2.0) every mode is the plain one."""
    if mode != "math" or not HAS_SDPA:
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # torch >= 2.3
        return sdpa_kernel(SDPBackend.MATH)
    except ImportError:
        return torch.backends.cuda.sdp_kernel(enable_flash=False, enable_math=True, enable_mem_efficient=False)


def allocated_now(backend, model=None):
    if backend == "mps":
        return torch.mps.current_allocated_memory()
    if backend == "cpu":
        return sum(p.numel() * p.element_size() for p in model.parameters()) if model is not None else 0
    return torch.cuda.memory_allocated()


def device_used(backend):
    """What the whole device holds now (the runtime context included), as nvidia-smi would show; None on MPS and the CPU."""
    if not on_gpu(backend):
        return None
    free, total = torch.cuda.mem_get_info()
    return int(total - free)


def measure(case, device, backend):
    """One case: build, check the parameter count, warm up, time ITERATIONS forwards, read the memory peaks.
    The CPU runs fp32 (half-precision convolutions are missing from CPU builds of torch 1.x)."""
    precision, attention = case.get("precision", "fp16"), case.get("attention", "sdpa")
    if backend == "cpu":
        precision = "fp32"
    if not HAS_SDPA:
        attention = "naive"
    dtype = DTYPES[precision]
    ATTENTION["mode"] = attention
    model = build_on(case, device, dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    if params != case["parameters"]:
        sys.exit(f"genready bench: built {params} parameters for {case['model']} {case['phase']}, genready expects {case['parameters']}")
    weights = allocated_now(backend, model)
    x = inputs(case, device, dtype)
    reset_peaks(backend)
    samples, warm = [], []
    peak_alloc, peak_res = 0, 0
    with torch.inference_mode(), attention_kernel(attention):
        for i in range(WARMUP + ITERATIONS):
            sync(backend)
            t0 = time.perf_counter()
            model(*x)
            sync(backend)
            dt = time.perf_counter() - t0
            (warm if i < WARMUP else samples).append(dt)
            alloc, res = memory(backend)
            peak_alloc, peak_res = max(peak_alloc, alloc), max(peak_res, res)
            print(f"  {'warm-up' if i < WARMUP else 'iteration'} {i + 1}/{WARMUP + ITERATIONS}: {dt:.3f} s", file=sys.stderr)
    used = device_used(backend)
    return {
        "model": case["model"], "phase": case["phase"], "width": case["width"], "height": case["height"],
        "batch": case["batch"], "forwardBatch": case["forwardBatch"], "precision": precision, "attention": attention, "parameters": params,
        "measuredSeconds": min(samples), "medianSeconds": statistics.median(samples), "samples": samples, "warmupSamples": warm,
        "weightsBytes": int(weights), "peakAllocatedBytes": int(peak_alloc), "peakReservedBytes": int(peak_res),
        **({"deviceUsedBytes": used} if used is not None else {}),
    }


def run_pipeline(p, models, device, backend):
    den, vae = p["denoiser"], p["vae"]
    x = inputs(den, device, DTYPES[den["precision"]])
    with torch.inference_mode(), attention_kernel(p["attention"]):
        for _ in range(p["steps"]):
            noise_pred = models[0](*x)  # the scheduler keeps the latents and this prediction until the next step
        sync(backend)
        denoising = memory(backend)
        del noise_pred, x
        torch.cuda.reset_peak_memory_stats()
        image = models[1](*inputs(vae, device, DTYPES[vae["precision"]]))
        sync(backend)
        decode = memory(backend)
        del image
    return denoising, decode


def measure_pipeline(p, device, backend):
    """A pipeline call with every component on the device (text encoders as one block of their weights'
    size), run once to warm up, then again after emptying the cache: the peaks of the second call per
    phase, and what the device held after it."""
    ATTENTION["mode"] = p["attention"]
    text = torch.empty(p["textEncoderBytes"], dtype=torch.uint8, device=device)
    models = [build_on(c, device, DTYPES[c["precision"]]).eval() for c in (p["denoiser"], p["vae"])]
    for m, c in zip(models, (p["denoiser"], p["vae"])):
        if sum(q.numel() for q in m.parameters()) != c["parameters"]:
            sys.exit(f"genready bench: the {c['phase']} model of {p['model']} does not have the parameters genready expects")
    weights = allocated_now(backend)
    run_pipeline(p, models, device, backend)
    reset_peaks(backend)
    t0 = time.perf_counter()
    denoising, decode = run_pipeline(p, models, device, backend)
    seconds = time.perf_counter() - t0
    used = device_used(backend)
    del models, text
    return {
        "model": p["model"], "width": p["width"], "height": p["height"], "batch": p["batch"], "steps": p["steps"],
        "attention": p["attention"], "precision": p["denoiser"]["precision"], "vaePrecision": p["vae"]["precision"],
        "textEncoderBytes": p["textEncoderBytes"], "weightsBytes": int(weights), "seconds": seconds,
        "phases": {"denoising": {"peakAllocatedBytes": int(denoising[0]), "peakReservedBytes": int(denoising[1])},
                   "vae-decode": {"peakAllocatedBytes": int(decode[0]), "peakReservedBytes": int(decode[1])}},
        "peakAllocatedBytes": int(max(denoising[0], decode[0])), "peakReservedBytes": int(max(denoising[1], decode[1])),
        "deviceUsedBytes": used,
    }


# --- Check mode: a checkpoint's own tensors through the same name maps as genready's ONNX graphs. ---

# safetensors dtype names → torch dtypes the check mode reads (converted to fp32).
def safetensors_dtypes():
    return {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
            "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """A .safetensors file as {name: tensor}: 8-byte little-endian header length, the JSON header,
    then each tensor's bytes at its data_offsets after the header (torch.frombuffer on a copy of them)."""
    with open(path, "rb") as f:
        # Mapped, not read: only the tensors copied out of it are held (a 2 GB checkpoint is not read twice).
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""
    if len(data) < 8:
        sys.exit(f"genready check: {path}: not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if 8 + n > len(data):
        sys.exit(f"genready check: {path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except ValueError:
        sys.exit(f"genready check: {path}: the header is not JSON")
    kinds = safetensors_dtypes()
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in kinds:
            sys.exit(f"genready check: {path}: tensor {name!r} has dtype {info['dtype']}, the check reads {', '.join(kinds)}")
        begin, end = info["data_offsets"]
        dtype = kinds[info["dtype"]]
        count = 1
        for d in info["shape"]:
            count *= d
        if base + end > len(data) or end - begin != count * torch.tensor([], dtype=dtype).element_size():
            sys.exit(f"genready check: {path}: tensor {name!r}: its byte range does not hold {info['shape']} of {info['dtype']}")
        # A fresh buffer per tensor: aligned for its dtype, and writable as torch.frombuffer wants.
        t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    if isinstance(data, mmap.mmap):
        data.close()
    return out


def write_safetensors(path, tensors):
    """{name: float32 tensor} as a .safetensors file (header padded to 8 bytes with spaces)."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    text = json.dumps(header)
    text += " " * ((8 - len(text.encode("utf-8")) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode("utf-8"))))
        f.write(text.encode("utf-8"))
        for b in blobs:
            f.write(b)


def to_module_layout(kind, t, shape):
    """A checkpoint tensor (PyTorch layout) as the module's parameter: 1×1 convs standing for linear
    layers squeezed, OpenCLIP's [in, out] text projection transposed; everything else as stored."""
    if kind == "in-out":
        t = t.t()
    if kind == "conv1x1-linear":
        t = t.reshape(t.shape[0], t.shape[1])
    return t.reshape(shape) if kind == "groupnorm" else t


def bind(model, entries, tensors, path):
    """Copy the checkpoint's tensors into the module by graph name; every parameter must be bound."""
    params = dict(model.named_parameters())
    seen = set()
    with torch.no_grad():
        for graph, name, kind, rows, swap in entries:
            if graph not in params:
                sys.exit(f"genready check: the module has no parameter {graph} (the name map binds {name} to it)")
            if name not in tensors:
                sys.exit(f"genready check: {path}: tensor {name!r} is missing (the architecture has it as {graph})")
            t = tensors[name].to(torch.float32)
            if rows is not None:
                t = t[rows[0]:rows[1]]
            if swap:
                half = t.shape[0] // 2
                t = torch.cat([t[half:], t[:half]], dim=0)
            p = params[graph]
            t = to_module_layout(kind, t, p.shape)
            if tuple(t.shape) != tuple(p.shape):
                sys.exit(f"genready check: {path}: {name!r} is {list(t.shape)} for {graph}, the module's parameter is {list(p.shape)}")
            p.copy_(t)
            seen.add(graph)
    unbound = [n for n in params if n not in seen]
    if unbound:
        sys.exit(f"genready check: {len(unbound)} parameters have no checkpoint tensor, e.g. {unbound[0]}")


CHECK_MODELS = {"denoiser": lambda a: DENOISERS[a["kind"]](a), "vae": VaeDecoder, "text-encoder": ClipText}


def check(path, inputs_path, out_path):
    """Each component of CHECK built in fp32 on the CPU, bound to the checkpoint, run on its inputs
    (`<key>.<input>` tensors of the inputs file, in the ONNX graph's input order) into `<key>.<output>`."""
    torch.set_grad_enabled(False)
    ATTENTION["mode"] = "naive"
    tensors = read_safetensors(path)
    given = read_safetensors(inputs_path)
    outputs = {}
    for comp in CHECK:
        model = CHECK_MODELS[comp["role"]](comp["arch"]).to(torch.float32).eval()
        bind(model, comp["entries"], tensors, path)
        key = comp["key"]
        args = []
        for name in comp["inputs"]:
            if f"{key}.{name}" not in given:
                sys.exit(f"genready check: {inputs_path}: no tensor {key}.{name}")
            t = given[f"{key}.{name}"]
            args.append(t if name == "input_ids" else t.to(torch.float32))
        result = model(*args)
        result = result if isinstance(result, tuple) else (result,)
        for name, value in zip(comp["outputs"], result):
            outputs[f"{key}.{name}"] = value
        print(f"  {key}: {comp['role']} {comp['arch']['kind']}, {sum(p.numel() for p in model.parameters())} parameters bound", file=sys.stderr)
    write_safetensors(out_path, outputs)


def main():
    parser = argparse.ArgumentParser(description="genready bench for PyTorch (see the docstring)")
    parser.add_argument("--device", choices=["auto", "cpu"], default="auto", help="cpu: measure the CPU in fp32")
    parser.add_argument("--check", metavar="CHECKPOINT", help="run the check mode on this .safetensors file")
    parser.add_argument("--inputs", metavar="FILE", help="check mode: the inputs (.safetensors)")
    parser.add_argument("--out", metavar="FILE", help="check mode: where the outputs go (.safetensors)")
    args = parser.parse_args()
    if args.check:
        if not CHECK:
            sys.exit("genready check: this script was written without components to check")
        if not args.inputs or not args.out:
            sys.exit("genready check: --check needs --inputs FILE and --out FILE")
        check(args.check, args.inputs, args.out)
        return
    device, backend, name = pick_device(args.device)
    torch.manual_seed(SEED)
    results, failed = [], []
    for n, case in enumerate(CASES):
        print(f"[{n + 1}/{len(CASES)}] {case['model']} {case['phase']} {case['width']}x{case['height']} batch {case['forwardBatch']} "
              f"{case.get('precision', 'fp16')} {case.get('attention', 'sdpa')}", file=sys.stderr)
        if on_gpu(backend):
            torch.cuda.empty_cache()
        try:
            results.append(measure(case, device, backend))
        except RuntimeError as err:  # out of memory (torch.cuda.OutOfMemoryError is one) or a kernel missing: the case is data, the run goes on
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            print(f"  failed: {reason}", file=sys.stderr)
            failed.append({**{key: case[key] for key in ("model", "phase", "width", "height", "batch")}, "error": reason[:300]})
        gc.collect()
    pipelines = []
    for n, p in enumerate(PIPELINES if on_gpu(backend) else []):  # per-phase peaks need CUDA's peak counters
        print(f"[pipeline {n + 1}/{len(PIPELINES)}] {p['model']} {p['width']}x{p['height']} batch {p['batch']}, {p['steps']} steps, "
              f"VAE {p['vae']['precision']}, {p['attention']}", file=sys.stderr)
        torch.cuda.empty_cache()
        try:
            pipelines.append(measure_pipeline(p, device, backend))
        except RuntimeError as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            print(f"  failed: {reason}", file=sys.stderr)
            failed.append({**{key: p[key] for key in ("model", "width", "height", "batch")}, "phase": "pipeline", "error": reason[:300]})
        gc.collect()
    print(json.dumps({
        "format": "genready-torch-bench", "version": 1,
        "environment": {
            "device": name, "backend": backend, "torch": torch.__version__, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}", "cpu": platform.processor(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "genready": "__GENREADY_VERSION__",
            # fp32 work runs as TF32 where these allow it (torch's defaults: convolutions yes, matmuls no).
            **({"tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32},
                "totalBytes": int(torch.cuda.mem_get_info()[1])} if on_gpu(backend) else {}),
        },
        "results": results,
        "pipelines": pipelines,
        "failed": failed,
    }, indent=2))


if __name__ == "__main__":
    main()
