/**
 * Family identification on files the test writes: real tensor names, the shapes the families have
 * (sparse, so they cost no disk), block lists filled with tiny tensors. Names are typed here from
 * the original code (see _sd15.ts and data/checkpoint/layouts.ts for the sources), not derived from
 * the layouts under test.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listModels } from '../../src/catalog/models.ts';
import { inspectCheckpoint } from '../../src/checkpoint/inspect.ts';
import type { DType } from '../../src/checkpoint/types.ts';
import { type TensorToWrite, writeSafetensors } from '../../src/checkpoint/write.ts';
import { SD15_PUBLISHED, sd15Tensors } from './_sd15.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-id-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Entry = [string, number[]];

function write(name: string, entries: Entry[], dtype: DType = 'F16', metadata: Record<string, string> = {}): string {
  const p = join(dir, name);
  writeSafetensors(
    p,
    entries.map(([n, shape]): TensorToWrite => ({ name: n, dtype, shape })),
    metadata,
  );
  return p;
}

/** One tiny tensor per numbered block, so block lists are complete. */
const fill = (prefix: string, count: number, leaf = 'x.weight'): Entry[] =>
  Array.from({ length: count }, (_, i) => [`${prefix}${i}.${leaf}`, [1]] as Entry);

const catalogIds = new Set(listModels().map((m) => m.id));

describe('inspect: a full-size SD 1.5 checkpoint (sparse, 2 GB of fp16)', () => {
  const p = join(dir, 'v1-5-full.safetensors');
  const specs = sd15Tensors('F16');
  const fileBytes = writeSafetensors(p, specs);

  it('writes the real layout: 1,136 tensors, about 2 GB, and the disk holds almost none of it', () => {
    assert.equal(specs.length, 1136);
    assert.ok(fileBytes > 2.1e9 && fileBytes < 2.2e9, `${fileBytes}`);
    const st = statSync(p);
    assert.equal(st.size, fileBytes);
    // Sparse where the filesystem allows it (tmpfs, ext4, xfs, overlayfs all do).
    if (st.blocks !== undefined) assert.ok(st.blocks * 512 < 50e6, `allocated ${st.blocks * 512} bytes`);
  });

  it('is an SD 1.x checkpoint with the published parameter counts per component', () => {
    const r = inspectCheckpoint(p);
    assert.equal(r.kind, 'checkpoint');
    assert.equal(r.model, 'sd15');
    assert.equal(r.family, 'Stable Diffusion 1.x');
    const by = Object.fromEntries(r.components.map((c) => [c.role, c]));
    assert.equal(by.denoiser!.parameters, SD15_PUBLISHED.unet);
    assert.equal(by.vae!.parameters, SD15_PUBLISHED.vae);
    assert.equal(by['text-encoder']!.parameters, SD15_PUBLISHED.text);
    assert.equal(by.denoiser!.naming, 'ldm');
    // + the five 1000-step schedule buffers (fp32 floats, counted as the file's floats).
    assert.equal(r.parameters, SD15_PUBLISHED.unet + SD15_PUBLISHED.vae + SD15_PUBLISHED.text + 5000);
    assert.equal(r.bytes, fileBytes);
    assert.equal(r.vae, 'included');
    assert.equal(r.ema, null);
    assert.deepEqual(r.missing, []);
    assert.equal(r.unexpected.count, 0);
    assert.deepEqual(Object.keys(r.dtypes).sort(), ['F16', 'F32', 'I64']);
    assert.equal(r.prediction?.type, null, 'SD 1.x files do not say; genready does not guess');
  });

  it('says what is missing when blocks or components are removed, and counts EMA copies', () => {
    const cut = specs.filter(
      (s) => !s.name.startsWith('first_stage_model.') && !s.name.startsWith('model.diffusion_model.output_blocks.7.'),
    );
    const ema = [
      { name: 'model_ema.decay', shape: [], dtype: 'F32' as const },
      { name: 'model_ema.diffusion_modelinput_blocks00weight', shape: [320, 4, 3, 3], dtype: 'F32' as const },
    ];
    const q = join(dir, 'cut.safetensors');
    writeSafetensors(q, [...cut, ...ema, { name: 'mystery.weight', shape: [3], dtype: 'F16' }]);
    const r = inspectCheckpoint(q);
    assert.equal(r.model, 'sd15');
    assert.equal(r.vae, 'absent');
    assert.ok(
      r.missing.some((m) => /VAE sd-vae/.test(m)),
      r.missing.join('; '),
    );
    assert.ok(r.missing.includes('model.diffusion_model.output_blocks.7'), r.missing.join('; '));
    assert.deepEqual(r.ema, { tensors: 1, parameters: 320 * 4 * 9 });
    assert.deepEqual(r.unexpected.examples, ['mystery.weight']);
  });
});

const clipL = (p: string): Entry[] => [
  [`${p}text_model.embeddings.token_embedding.weight`, [49408, 768]],
  [`${p}text_model.embeddings.position_embedding.weight`, [77, 768]],
  [`${p}text_model.encoder.layers.11.self_attn.q_proj.weight`, [768, 768]],
  [`${p}text_model.final_layer_norm.weight`, [768]],
  ...fill(`${p}text_model.encoder.layers.`, 11, 'mlp.fc1.weight'),
];
const openclip = (p: string, w: number, layers: number): Entry[] => [
  [`${p}token_embedding.weight`, [49408, w]],
  [`${p}positional_embedding`, [77, w]],
  [`${p}transformer.resblocks.${layers - 1}.attn.in_proj_weight`, [3 * w, w]],
  [`${p}ln_final.weight`, [w]],
  [`${p}text_projection`, [w, w]],
  ...fill(`${p}transformer.resblocks.`, layers - 1, 'ln_1.weight'),
];
const ldmVae = (p: string): Entry[] => [
  [`${p}encoder.conv_in.weight`, [128, 3, 3, 3]],
  [`${p}encoder.down.0.block.0.conv1.weight`, [128, 128, 3, 3]],
  [`${p}encoder.conv_out.weight`, [8, 512, 3, 3]],
  [`${p}decoder.conv_in.weight`, [512, 4, 3, 3]],
  [`${p}decoder.conv_out.weight`, [3, 128, 3, 3]],
  [`${p}quant_conv.weight`, [8, 8, 1, 1]],
  [`${p}post_quant_conv.weight`, [4, 4, 1, 1]],
  ...fill(`${p}encoder.down.`, 4, 'block.1.norm1.weight'),
  ...fill(`${p}decoder.up.`, 4, 'block.0.norm1.weight'),
];
const u = 'model.diffusion_model.';
const sd2Unet = (inCh = 4): Entry[] => [
  [`${u}input_blocks.0.0.weight`, [320, inCh, 3, 3]],
  [`${u}time_embed.0.weight`, [1280, 320]],
  [`${u}input_blocks.1.1.proj_in.weight`, [320, 320]],
  [`${u}input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight`, [320, 1024]],
  [`${u}out.2.weight`, [4, 320, 3, 3]],
  ...fill(`${u}input_blocks.`, 12, '0.emb_layers.1.bias'),
  ...fill(`${u}output_blocks.`, 12, '0.emb_layers.1.bias'),
];

interface Case {
  name: string;
  entries: Entry[];
  metadata?: Record<string, string>;
  kind: string | null;
  model: string | null;
  family?: RegExp;
  check?: (r: ReturnType<typeof inspectCheckpoint>) => void;
}

const cases: Case[] = [
  {
    name: 'SD 2.x v checkpoint (LDM names, OpenCLIP-H under cond_stage_model.model.)',
    entries: [...sd2Unet(), ...ldmVae('first_stage_model.'), ...openclip('cond_stage_model.model.', 1024, 24)],
    metadata: { 'modelspec.prediction_type': 'v' },
    kind: 'checkpoint',
    model: 'sd21',
    check: (r) => {
      assert.equal(r.prediction?.type, 'v');
      assert.deepEqual(r.missing, []);
    },
  },
  {
    name: 'SD 2.x without metadata: prediction type left open, with the reason',
    entries: [...sd2Unet(), ...ldmVae('first_stage_model.'), ...openclip('cond_stage_model.model.', 1024, 24)],
    kind: 'checkpoint',
    model: 'sd21',
    check: (r) => {
      assert.equal(r.prediction?.type, null);
      assert.match(r.prediction!.source, /768-v/);
    },
  },
  {
    name: 'SD 2.x inpainting (9 input channels): unknown UNet, nearest SD 2.x and the difference',
    entries: [...sd2Unet(9), ...ldmVae('first_stage_model.'), ...openclip('cond_stage_model.model.', 1024, 24)],
    kind: 'checkpoint',
    model: null,
    check: (r) => {
      const n = r.nearest.find((x) => x.prefix === u)!;
      assert.equal(n.layout, 'sd2-unet-ldm');
      assert.deepEqual(n.differences, [`${u}input_blocks.0.0.weight is [320, 9, 3, 3], expected [320, 4, 3, 3]`]);
      assert.ok(r.unexpected.count > 0);
    },
  },
  {
    name: 'SDXL base (conditioner.embedders.0/1)',
    entries: [
      [`${u}input_blocks.0.0.weight`, [320, 4, 3, 3]],
      [`${u}time_embed.0.weight`, [1280, 320]],
      [`${u}label_emb.0.0.weight`, [1280, 2816]],
      [`${u}input_blocks.4.1.proj_in.weight`, [640, 640]],
      [`${u}input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight`, [640, 2048]],
      [`${u}out.2.weight`, [4, 320, 3, 3]],
      ...fill(`${u}input_blocks.`, 9, '0.emb_layers.1.bias'),
      ...fill(`${u}output_blocks.`, 9, '0.emb_layers.1.bias'),
      ...ldmVae('first_stage_model.'),
      ...clipL('conditioner.embedders.0.transformer.'),
      ...openclip('conditioner.embedders.1.model.', 1280, 32),
    ],
    kind: 'checkpoint',
    model: 'sdxl',
    check: (r) => {
      assert.deepEqual(r.alsoMatches, ['sdxl-turbo']);
      assert.equal(r.components.length, 4);
    },
  },
  {
    name: 'SDXL refiner',
    entries: [
      [`${u}input_blocks.0.0.weight`, [384, 4, 3, 3]],
      [`${u}time_embed.0.weight`, [1536, 384]],
      [`${u}label_emb.0.0.weight`, [1536, 2560]],
      [`${u}input_blocks.4.1.proj_in.weight`, [768, 768]],
      [`${u}input_blocks.4.1.transformer_blocks.3.attn2.to_k.weight`, [768, 1280]],
      [`${u}out.2.weight`, [4, 384, 3, 3]],
      ...fill(`${u}input_blocks.`, 12, '0.emb_layers.1.bias'),
      ...fill(`${u}output_blocks.`, 12, '0.emb_layers.1.bias'),
      ...ldmVae('first_stage_model.'),
      ...openclip('conditioner.embedders.0.model.', 1280, 32),
    ],
    kind: 'checkpoint',
    model: 'sdxl-refiner',
  },
  {
    name: 'SD3 Medium with its text encoders in one file',
    entries: [
      [`${u}x_embedder.proj.weight`, [1536, 16, 2, 2]],
      [`${u}pos_embed`, [1, 36864, 1536]],
      [`${u}context_embedder.weight`, [1536, 4096]],
      [`${u}y_embedder.mlp.0.weight`, [1536, 2048]],
      [`${u}joint_blocks.23.x_block.attn.qkv.weight`, [4608, 1536]],
      [`${u}final_layer.linear.weight`, [64, 1536]],
      ...fill(`${u}joint_blocks.`, 23, 'context_block.attn.qkv.weight'),
      ['first_stage_model.encoder.conv_in.weight', [128, 3, 3, 3]],
      ['first_stage_model.encoder.down.0.block.0.conv1.weight', [128, 128, 3, 3]],
      ['first_stage_model.encoder.conv_out.weight', [32, 512, 3, 3]],
      ['first_stage_model.decoder.conv_in.weight', [512, 16, 3, 3]],
      ['first_stage_model.decoder.conv_out.weight', [3, 128, 3, 3]],
      ...fill('first_stage_model.encoder.down.', 4, 'block.1.norm1.weight'),
      ...fill('first_stage_model.decoder.up.', 4, 'block.0.norm1.weight'),
      ...clipL('text_encoders.clip_l.transformer.'),
      ['text_encoders.clip_g.transformer.text_model.embeddings.token_embedding.weight', [49408, 1280]],
      ['text_encoders.clip_g.transformer.text_model.embeddings.position_embedding.weight', [77, 1280]],
      ['text_encoders.clip_g.transformer.text_model.encoder.layers.31.self_attn.q_proj.weight', [1280, 1280]],
      ['text_encoders.clip_g.transformer.text_model.final_layer_norm.weight', [1280]],
      ...fill('text_encoders.clip_g.transformer.text_model.encoder.layers.', 31, 'mlp.fc1.weight'),
      ['text_encoders.t5xxl.transformer.encoder.block.0.layer.0.SelfAttention.q.weight', [4096, 4096]],
      [
        'text_encoders.t5xxl.transformer.encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
        [32, 64],
      ],
      ['text_encoders.t5xxl.transformer.encoder.block.0.layer.1.DenseReluDense.wi_0.weight', [10240, 4096]],
      ['text_encoders.t5xxl.transformer.encoder.final_layer_norm.weight', [4096]],
      ...fill('text_encoders.t5xxl.transformer.encoder.block.', 24, 'layer.0.layer_norm.weight').slice(1),
    ],
    kind: 'checkpoint',
    model: 'sd3-medium',
    check: (r) => {
      assert.deepEqual(r.missing, []);
      assert.equal(r.prediction?.type, 'flow');
      assert.equal(r.components.length, 5);
    },
  },
  {
    name: 'SD3.5 Large transformer alone',
    entries: [
      ['x_embedder.proj.weight', [2432, 16, 2, 2]],
      ['pos_embed', [1, 36864, 2432]],
      ['context_embedder.weight', [2432, 4096]],
      ['y_embedder.mlp.0.weight', [2432, 2048]],
      ['joint_blocks.37.x_block.attn.qkv.weight', [7296, 2432]],
      ['joint_blocks.0.x_block.attn.ln_q.weight', [64]],
      ['final_layer.linear.weight', [64, 2432]],
      ...fill('joint_blocks.', 37, 'context_block.attn.qkv.weight').slice(1),
    ],
    kind: 'denoiser',
    model: 'sd35-large',
  },
  ...(['dev', 'schnell'] as const).map(
    (v): Case => ({
      name: `FLUX.1 ${v} (BFL names)`,
      entries: [
        ['img_in.weight', [3072, 64]],
        ['txt_in.weight', [3072, 4096]],
        ['time_in.in_layer.weight', [3072, 256]],
        ['vector_in.in_layer.weight', [3072, 768]],
        ...(v === 'dev' ? ([['guidance_in.in_layer.weight', [3072, 256]]] as Entry[]) : []),
        ['double_blocks.0.img_attn.qkv.weight', [9216, 3072]],
        ['single_blocks.0.linear1.weight', [21504, 3072]],
        ['final_layer.linear.weight', [64, 3072]],
        ...fill('double_blocks.', 19, 'txt_mod.lin.weight'),
        ...fill('single_blocks.', 38, 'modulation.lin.weight'),
      ],
      kind: 'denoiser',
      model: `flux1-${v}`,
    }),
  ),
  {
    name: 'FLUX.1 dev (diffusers names)',
    entries: [
      ['x_embedder.weight', [3072, 64]],
      ['context_embedder.weight', [3072, 4096]],
      ['time_text_embed.timestep_embedder.linear_1.weight', [3072, 256]],
      ['time_text_embed.text_embedder.linear_1.weight', [3072, 768]],
      ['time_text_embed.guidance_embedder.linear_1.weight', [3072, 256]],
      ['transformer_blocks.0.attn.to_q.weight', [3072, 3072]],
      ['single_transformer_blocks.0.proj_mlp.weight', [12288, 3072]],
      ['proj_out.weight', [64, 3072]],
      ...fill('transformer_blocks.', 19, 'norm1.linear.weight'),
      ...fill('single_transformer_blocks.', 38, 'norm.linear.weight'),
    ],
    kind: 'denoiser',
    model: 'flux1-dev',
    check: (r) => assert.equal(r.components[0]!.naming, 'diffusers'),
  },
  {
    name: 'PixArt-Σ (original names)',
    entries: [
      ['x_embedder.proj.weight', [1152, 4, 2, 2]],
      ['t_embedder.mlp.0.weight', [1152, 256]],
      ['t_block.1.weight', [6912, 1152]],
      ['y_embedder.y_proj.fc1.weight', [1152, 4096]],
      ['blocks.0.attn.qkv.weight', [3456, 1152]],
      ['blocks.0.cross_attn.kv_linear.weight', [2304, 1152]],
      ['final_layer.linear.weight', [32, 1152]],
      ...fill('blocks.', 28, 'mlp.fc1.weight'),
    ],
    kind: 'denoiser',
    model: 'pixart-sigma',
  },
  {
    name: 'a VAE alone (shared by SD 1.x, 2.x and SDXL: model null)',
    entries: ldmVae(''),
    kind: 'vae',
    model: null,
  },
  {
    name: 'CLIP-L alone (model null) ',
    entries: clipL(''),
    kind: 'text-encoder',
    model: null,
  },
  {
    name: 'OpenCLIP-H in diffusers naming (only SD 2.x has it)',
    entries: [
      ['text_model.embeddings.token_embedding.weight', [49408, 1024]],
      ['text_model.embeddings.position_embedding.weight', [77, 1024]],
      ['text_model.encoder.layers.22.self_attn.q_proj.weight', [1024, 1024]],
      ['text_model.final_layer_norm.weight', [1024]],
      ...fill('text_model.encoder.layers.', 22, 'mlp.fc1.weight'),
    ],
    kind: 'text-encoder',
    model: 'sd21',
  },
  {
    name: 'ControlNet for SD 1.5 (LDM names)',
    entries: [
      ['control_model.input_hint_block.0.weight', [16, 3, 3, 3]],
      ['control_model.zero_convs.0.0.weight', [320, 320, 1, 1]],
      ['control_model.middle_block_out.0.weight', [1280, 1280, 1, 1]],
      ['control_model.input_blocks.0.0.weight', [320, 4, 3, 3]],
      ['control_model.time_embed.0.weight', [1280, 320]],
      ['control_model.input_blocks.1.1.proj_in.weight', [320, 320, 1, 1]],
      ['control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight', [320, 768]],
      ...fill('control_model.input_blocks.', 12, '0.emb_layers.1.bias'),
      ...fill('control_model.zero_convs.', 12, '0.bias'),
    ],
    kind: 'controlnet',
    model: 'sd15',
  },
  {
    name: 'kohya LoRA for SD 1.x (cross-attention key width 768)',
    entries: [
      ['lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight', [8, 768]],
      ['lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight', [320, 8]],
      ['lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.alpha', []],
      ['lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight', [8, 768]],
      ['lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight', [768, 8]],
      ['lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha', []],
    ],
    kind: 'lora',
    model: 'sd15',
    check: (r) => assert.deepEqual([r.lora!.modules, r.lora!.ranks], [2, [8]]),
  },
  {
    name: 'kohya LoRA for SDXL (LDM block names, width 2048)',
    entries: [
      ['lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k.lora_down.weight', [16, 2048]],
      ['lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k.lora_up.weight', [640, 16]],
      ['lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight', [16, 1280]],
      ['lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight', [1280, 16]],
    ],
    kind: 'lora',
    model: 'sdxl',
  },
  {
    name: 'diffusers/PEFT LoRA for SDXL (lora_A / lora_B names, width 2048)',
    entries: [
      ['unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight', [4, 2048]],
      ['unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight', [640, 4]],
    ],
    kind: 'lora',
    model: 'sdxl',
    check: (r) => assert.deepEqual([r.lora!.modules, r.lora!.ranks], [1, [4]]),
  },
  {
    name: 'kohya LoRA for FLUX.1: family from the names, no catalog model claimed',
    entries: [
      ['lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight', [16, 3072]],
      ['lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight', [9216, 16]],
    ],
    kind: 'lora',
    model: null,
    family: /FLUX/,
  },
  {
    name: 'something else entirely: no kind, no model, no nearest guess from unrelated names',
    entries: [
      ['model.layers.0.self_attn.q_proj.weight', [4096, 4096]],
      ['lm_head.weight', [32000, 4096]],
    ],
    kind: null,
    model: null,
    check: (r) => {
      assert.equal(r.family, null);
      assert.equal(r.unexpected.count, 2);
    },
  },
];

describe('inspect: families from names and shapes', () => {
  for (const c of cases) {
    it(c.name, () => {
      const p = write(`${c.name.replace(/\W+/g, '_')}.safetensors`, c.entries, 'BF16', c.metadata);
      const r = inspectCheckpoint(p);
      assert.equal(r.kind, c.kind, JSON.stringify({ nearest: r.nearest, missing: r.missing }));
      assert.equal(r.model, c.model);
      if (r.model) assert.ok(catalogIds.has(r.model), `${r.model} is a catalog id`);
      if (c.family) assert.match(r.family ?? '', c.family);
      c.check?.(r);
    });
  }
});

describe('inspect: diffusers folders', () => {
  it('reads unet/ vae/ text_encoder/ (sharded text encoder) and the scheduler’s prediction type', () => {
    const root = join(dir, 'sd2-diffusers');
    const sub = (n: string) => {
      mkdirSync(join(root, n), { recursive: true });
      writeFileSync(join(root, n, 'config.json'), '{}');
      return join(root, n);
    };
    writeSafetensors(
      join(sub('unet'), 'diffusion_pytorch_model.safetensors'),
      (
        [
          ['conv_in.weight', [320, 4, 3, 3]],
          ['time_embedding.linear_1.weight', [1280, 320]],
          ['down_blocks.0.attentions.0.proj_in.weight', [320, 320]],
          ['down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight', [320, 1024]],
          ['conv_out.weight', [4, 320, 3, 3]],
          ...fill('down_blocks.', 4, 'resnets.0.conv1.bias'),
          ...fill('up_blocks.', 4, 'resnets.0.conv1.bias'),
        ] as Entry[]
      ).map(([name, shape]) => ({ name, shape, dtype: 'F16' as const })),
    );
    writeSafetensors(
      join(sub('vae'), 'diffusion_pytorch_model.fp16.safetensors'),
      (
        [
          ['encoder.conv_in.weight', [128, 3, 3, 3]],
          ['encoder.down_blocks.0.resnets.0.conv1.weight', [128, 128, 3, 3]],
          ['encoder.conv_out.weight', [8, 512, 3, 3]],
          ['decoder.conv_in.weight', [512, 4, 3, 3]],
          ['decoder.conv_out.weight', [3, 128, 3, 3]],
          ['quant_conv.weight', [8, 8, 1, 1]],
          ...fill('encoder.down_blocks.', 4, 'resnets.1.norm1.weight'),
        ] as Entry[]
      ).map(([name, shape]) => ({ name, shape, dtype: 'F16' as const })),
    );
    const te = sub('text_encoder');
    const teEntries: Entry[] = [
      ['text_model.embeddings.token_embedding.weight', [49408, 1024]],
      ['text_model.embeddings.position_embedding.weight', [77, 1024]],
      ['text_model.encoder.layers.22.self_attn.q_proj.weight', [1024, 1024]],
      ['text_model.final_layer_norm.weight', [1024]],
      ...fill('text_model.encoder.layers.', 22, 'mlp.fc1.weight'),
    ];
    const half = Math.ceil(teEntries.length / 2);
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap: Record<string, string> = {};
    [teEntries.slice(0, half), teEntries.slice(half)].forEach((part, i) => {
      writeSafetensors(
        join(te, shards[i]!),
        part.map(([name, shape]) => ({ name, shape, dtype: 'F16' as const })),
      );
      for (const [n] of part) weightMap[n] = shards[i]!;
    });
    writeFileSync(join(te, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    mkdirSync(join(root, 'scheduler'));
    writeFileSync(
      join(root, 'scheduler', 'scheduler_config.json'),
      JSON.stringify({ prediction_type: 'v_prediction' }),
    );
    const r = inspectCheckpoint(root);
    assert.equal(r.format, 'diffusers-folder');
    assert.equal(r.kind, 'checkpoint');
    assert.equal(r.model, 'sd21');
    assert.equal(r.files.length, 4);
    assert.deepEqual(r.components.map((c) => `${c.prefix}:${c.arch}`).sort(), [
      'text_encoder/:openclip-h',
      'unet/:sd2-unet',
      'vae/:sd-vae',
    ]);
    assert.equal(r.prediction?.type, 'v');
    assert.deepEqual(r.missing, []);
  });

  it('refuses a folder whose weights are pickles, and an empty one', () => {
    const root = join(dir, 'pickled');
    mkdirSync(join(root, 'unet'), { recursive: true });
    writeFileSync(join(root, 'unet', 'diffusion_pytorch_model.bin'), 'x');
    assert.throws(() => inspectCheckpoint(root), /unpickling|runs code/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    assert.throws(() => inspectCheckpoint(empty), /no \.safetensors weights/);
  });
});

describe('loading an inspected checkpoint’s components into the graph layout', () => {
  it('SD 1.5 full-size file: the VAE decoder and CLIP by the catalog’s architectures, the graph builder’s weights exactly', async () => {
    const { componentWeights } = await import('../../src/checkpoint/load.ts');
    const { resolveModel } = await import('../../src/catalog/models.ts');
    const { buildGraph } = await import('../../src/graph/index.ts');
    const p = join(dir, 'v1-5-full.safetensors');
    const r = inspectCheckpoint(p);
    const sd = resolveModel('sd15');
    for (const [role, arch] of [
      ['vae', sd.vae.arch],
      ['text-encoder', sd.textEncoders[0]!.arch],
    ] as const) {
      const w = componentWeights(r, role, { model: sd });
      const g = buildGraph(arch as never, 'float32');
      assert.deepEqual(
        w.map((x) => `${x.name} ${x.dims.join(',')}`),
        g.weights.map((x) => `${x.name} ${x.dims.join(',')}`),
        role,
      );
      assert.ok(w.every((x) => x.data.length === x.dims.reduce((a, b) => a * b, 1)));
    }
  });
});
