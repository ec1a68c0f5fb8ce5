#!/usr/bin/env python3
"""genready bench for PyTorch: the catalog's denoisers and VAE decoders, built from the same
architecture descriptions as genready's cost model, with random weights (nothing to download).

Measures seconds per denoising step and per VAE decode, and peak allocated/reserved memory, on a
CUDA, ROCm or Apple MPS device, and prints JSON on stdout for `genready bench --import FILE`.

    python3 genready_bench.py > results.json   # progress goes to stderr
    genready bench --import results.json

Needs only torch (>= 2.0, for scaled_dot_product_attention). Written by genready __GENREADY_VERSION__.
"""
import datetime
import json
import math
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CASES = json.loads(r"""__CASES__""")
WARMUP = __WARMUP__
ITERATIONS = __ITERATIONS__
SEED = __SEED__
# Width of the pooled text embedding SDXL-style UNets take; each micro-condition is a 256-wide sinusoid.
POOLED_TEXT_DIM = 1280
ADDITION_TIME_EMBED_DIM = 256


class Attention(nn.Module):
    def __init__(self, dim, heads, ctx_dim=None, qkv_bias=False, out_bias=True):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=qkv_bias)
        self.to_k = nn.Linear(ctx_dim, dim, bias=qkv_bias)
        self.to_v = nn.Linear(ctx_dim, dim, bias=qkv_bias)
        self.to_out = nn.Linear(dim, dim, bias=out_bias)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        b, n, d = x.shape
        h = self.heads
        q = self.to_q(x).view(b, n, h, d // h).transpose(1, 2)
        k = self.to_k(ctx).view(b, ctx.shape[1], h, d // h).transpose(1, 2)
        v = self.to_v(ctx).view(b, ctx.shape[1], h, d // h).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(o.transpose(1, 2).reshape(b, n, d))


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


class BasicTransformerBlock(nn.Module):
    def __init__(self, c, heads, ctx_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(c)
        self.attn1 = Attention(c, heads)
        self.norm2 = nn.LayerNorm(c)
        self.attn2 = Attention(c, heads, ctx_dim)
        self.norm3 = nn.LayerNorm(c)
        self.ff_proj = nn.Linear(c, 8 * c)  # GEGLU: value and gate halves
        self.ff_out = nn.Linear(4 * c, c)

    def forward(self, x, ctx):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), ctx)
        value, gate = self.ff_proj(self.norm3(x)).chunk(2, dim=-1)
        return x + self.ff_out(value * F.gelu(gate))


class Transformer2D(nn.Module):
    def __init__(self, c, depth, heads, groups, ctx_dim):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.proj_in = nn.Linear(c, c)
        self.blocks = nn.ModuleList([BasicTransformerBlock(c, heads, ctx_dim) for _ in range(depth)])
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


class UNet(nn.Module):
    """diffusers UNet2DConditionModel layout: conv_in, down blocks, mid, up blocks with skips, norm, conv_out."""

    def __init__(self, a):
        super().__init__()
        c0 = a["blockOut"][0]
        T = 4 * c0
        g = a["normGroups"]
        self.c0 = c0
        self.time_1 = nn.Linear(c0, T)
        self.time_2 = nn.Linear(T, T)
        self.n_ids = 0
        if a["additionEmbedInput"] is not None:
            self.n_ids = (a["additionEmbedInput"] - POOLED_TEXT_DIM) // ADDITION_TIME_EMBED_DIM
            self.add_1 = nn.Linear(a["additionEmbedInput"], T)
            self.add_2 = nn.Linear(T, T)
        self.conv_in = nn.Conv2d(a["inChannels"], c0, 3, padding=1)
        ctx_dim = a["crossAttentionDim"]
        self.down = nn.ModuleList()
        self.down_kinds = []
        ch = c0
        skip_ch = [c0]
        levels = len(a["blockOut"])
        for i, out in enumerate(a["blockOut"]):
            for _ in range(a["layersPerBlock"]):
                self.down.append(Resnet(ch, out, g, 1e-5, T))
                self.down_kinds.append("res")
                ch = out
                if a["crossAttention"][i]:
                    self.down.append(Transformer2D(ch, a["transformerDepth"][i], a["heads"][i], g, ctx_dim))
                    self.down_kinds.append("attn")
                self.down_kinds.append("skip")
                skip_ch.append(ch)
            if i < levels - 1:
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                self.down_kinds.append("conv")
                self.down_kinds.append("skip")
                skip_ch.append(ch)
        self.mid_res0 = Resnet(ch, ch, g, 1e-5, T)
        self.mid_attn = Transformer2D(ch, a["midTransformerDepth"], a["heads"][-1], g, ctx_dim) if a["midAttention"] else None
        self.mid_res1 = Resnet(ch, ch, g, 1e-5, T)
        self.up = nn.ModuleList()
        self.up_kinds = []
        for i in range(levels):
            lvl = levels - 1 - i
            out = a["blockOut"][lvl]
            for _ in range(a["layersPerBlock"] + 1):
                s = skip_ch.pop()
                self.up_kinds.append("cat")
                self.up.append(Resnet(ch + s, out, g, 1e-5, T))
                self.up_kinds.append("res")
                ch = out
                if a["crossAttention"][lvl]:
                    self.up.append(Transformer2D(ch, a["transformerDepth"][lvl], a["heads"][lvl], g, ctx_dim))
                    self.up_kinds.append("attn")
            if i < levels - 1:
                self.up.append(Upsample(ch))
                self.up_kinds.append("conv")
        self.norm_out = nn.GroupNorm(g, ch, eps=1e-5)
        self.conv_out = nn.Conv2d(ch, a["outChannels"], 3, padding=1)

    def _run(self, modules, kinds, h, temb, ctx, skips):
        it = iter(modules)
        for kind in kinds:
            if kind == "skip":
                skips.append(h)
            elif kind == "cat":
                h = torch.cat([h, skips.pop()], dim=1)
            elif kind == "res":
                h = next(it)(h, temb)
            elif kind == "attn":
                h = next(it)(h, ctx)
            else:
                h = next(it)(h)
        return h

    def forward(self, sample, timestep, ctx, text_embeds=None, time_ids=None):
        emb = self.time_2(F.silu(self.time_1(sinusoid(timestep, self.c0).to(sample.dtype))))
        if self.n_ids:
            ids = sinusoid(time_ids.reshape(-1), ADDITION_TIME_EMBED_DIM).to(sample.dtype).reshape(sample.shape[0], -1)
            emb = emb + self.add_2(F.silu(self.add_1(torch.cat([text_embeds, ids], dim=-1))))
        temb = F.silu(emb)
        h = self.conv_in(sample)
        skips = [h]
        h = self._run(self.down, self.down_kinds, h, temb, ctx, skips)
        h = self.mid_res0(h, temb)
        if self.mid_attn is not None:
            h = self.mid_attn(h, ctx)
        h = self.mid_res1(h, temb)
        h = self._run(self.up, self.up_kinds, h, temb, ctx, skips)
        return self.conv_out(F.silu(self.norm_out(h)))


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
        self.mid_res0 = Resnet(ch, ch, g, 1e-6, 0)
        self.mid_norm = nn.GroupNorm(g, ch, eps=1e-6) if a["midAttention"] else None
        self.mid_attn = Attention(ch, 1, qkv_bias=True) if a["midAttention"] else None
        self.mid_res1 = Resnet(ch, ch, g, 1e-6, 0)
        self.up = nn.ModuleList()
        for i, out in enumerate(rev):
            for _ in range(a["layersPerBlock"] + 1):
                self.up.append(Resnet(ch, out, g, 1e-6, 0))
                ch = out
            if i < len(rev) - 1:
                self.up.append(Upsample(ch))
        self.norm_out = nn.GroupNorm(g, ch, eps=1e-6)
        self.conv_out = nn.Conv2d(ch, a["imageChannels"], 3, padding=1)

    def forward(self, z):
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        h = self.mid_res0(self.conv_in(z))
        if self.mid_attn is not None:
            b, c, hh, ww = h.shape
            t = self.mid_norm(h).reshape(b, c, hh * ww).transpose(1, 2)
            h = h + self.mid_attn(t).transpose(1, 2).reshape(b, c, hh, ww)
        h = self.mid_res1(h)
        for m in self.up:
            h = m(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def pick_device():
    if torch.cuda.is_available():
        backend = "rocm" if getattr(torch.version, "hip", None) else "cuda"
        return torch.device("cuda"), backend, torch.cuda.get_device_name(0)
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps"), "mps", "Apple " + platform.processor() + " GPU (MPS)"
    sys.exit("genready bench: no CUDA, ROCm or MPS device visible to torch")


def sync(backend):
    if backend == "mps":
        torch.mps.synchronize()
    else:
        torch.cuda.synchronize()


def memory(backend):
    """(allocated, reserved) now; CUDA/ROCm report the peaks since the last reset."""
    if backend == "mps":
        return torch.mps.current_allocated_memory(), torch.mps.driver_allocated_memory()
    return torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved()


def inputs(case, device, dtype):
    a = case["arch"]
    b = case["forwardBatch"]
    h, w = case["latentHeight"], case["latentWidth"]
    gen = torch.Generator(device="cpu").manual_seed(SEED)
    rnd = lambda *shape: torch.randn(*shape, generator=gen).to(device=device, dtype=dtype)
    if case["phase"] == "vae-decode":
        return (rnd(b, a["latentChannels"], h, w),)
    args = [rnd(b, a["inChannels"], h, w), torch.full((b,), 500.0, device=device), rnd(b, case["textTokens"], a["crossAttentionDim"])]
    if a["additionEmbedInput"] is not None:
        n = (a["additionEmbedInput"] - POOLED_TEXT_DIM) // ADDITION_TIME_EMBED_DIM
        ids = torch.tensor([[8.0 * h, 8.0 * w, 0.0, 0.0, 8.0 * h, 8.0 * w][:n] + [6.0] * max(0, n - 6)] * b)
        args += [rnd(b, POOLED_TEXT_DIM), ids.to(device=device, dtype=dtype)]
    return tuple(args)


def main():
    device, backend, name = pick_device()
    dtype = torch.float16
    torch.manual_seed(SEED)
    results = []
    for n, case in enumerate(CASES):
        print(f"[{n + 1}/{len(CASES)}] {case['model']} {case['phase']} {case['width']}x{case['height']} batch {case['forwardBatch']}", file=sys.stderr)
        model = (UNet if case["phase"] == "denoising" else VaeDecoder)(case["arch"])
        params = sum(p.numel() for p in model.parameters())
        if params != case["parameters"]:
            sys.exit(f"genready bench: built {params} parameters for {case['model']} {case['phase']}, genready expects {case['parameters']}")
        model = model.to(device=device, dtype=dtype).eval()
        x = inputs(case, device, dtype)
        if backend != "mps":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        samples, warm = [], []
        peak_alloc, peak_res = 0, 0
        with torch.inference_mode():
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
        results.append({
            "model": case["model"], "phase": case["phase"], "width": case["width"], "height": case["height"],
            "batch": case["batch"], "forwardBatch": case["forwardBatch"], "precision": "fp16", "parameters": params,
            "measuredSeconds": min(samples), "medianSeconds": statistics.median(samples), "samples": samples, "warmupSamples": warm,
            "peakAllocatedBytes": int(peak_alloc), "peakReservedBytes": int(peak_res),
        })
        del model, x
    print(json.dumps({
        "format": "genready-torch-bench", "version": 1,
        "environment": {
            "device": name, "backend": backend, "torch": torch.__version__, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}", "cpu": platform.processor(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "genready": "__GENREADY_VERSION__",
        },
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
