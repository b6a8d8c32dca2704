#include "zimon/sim/profiles.h"

#include <algorithm>
#include <cctype>

namespace zimon::sim {

const ModelFacts& ZImageTurbo() {
  static const ModelFacts facts = [] {
    ModelFacts f;
    // §1 "Checkpoint sizes": DiT bf16 11.46 GiB, Qwen3-4B bf16 7.49 GiB,
    // ae.safetensors 319.77 MiB.
    f.dit_bytes = static_cast<uint64_t>(11.46 * kGiB);
    f.text_encoder_bytes = static_cast<uint64_t>(7.49 * kGiB);
    f.vae_bytes = static_cast<uint64_t>(319.77 * kMiB);
    return f;
  }();
  return facts;
}

namespace {

std::vector<GpuProfile> MakeProfiles() {
  std::vector<GpuProfile> out;

  // H100 80GB. §2.1 SGLang CI baseline, 1024², 9 steps, e2e 906 ms:
  // text encoding 129 ms, denoise stage 745 ms / 9 steps = 82.8 ms per step,
  // decode 6.2 ms; the remaining 906-129-745-6.2 = 25.8 ms is PNG encode and
  // HTTP. Load 28,222 ms (§2.1, §4).
  GpuProfile h100;
  h100.name = "h100";
  h100.display_name = "NVIDIA H100 80GB HBM3";
  h100.vram_bytes = 80 * kGiB;
  h100.step_seconds = 0.745 / 9;
  h100.text_encode_seconds = 0.129;
  h100.vae_decode_seconds = 0.0062;
  h100.png_encode_seconds = 0.0258;
  h100.cold_start_seconds = 28.222;
  h100.pcie_bytes_per_second = 25e9;  // §5.1: ~20-25 GB/s
  // Not in the reference: H100 SXM board power limit 700 W; idle ~70 W.
  h100.idle_watts = 70;
  h100.max_watts = 700;
  out.push_back(h100);

  // H800: §2.2, official "sub-second inference latency on enterprise-grade
  // H800" at 8 NFE; same Hopper silicon, so the H100 calibration.
  GpuProfile h800 = h100;
  h800.name = "h800";
  h800.display_name = "NVIDIA H800";
  out.push_back(h800);

  // RTX 5090. §2.1 SGLang CI baseline, 1024², 9 steps, e2e 2,492 ms: text
  // 252 ms, denoise 2,179 ms / 9 = 242.1 ms per step, decode 7.1 ms, rest
  // 2492-252-2179-7.1 = 53.9 ms. VRAM: the 31.35 GiB capacity in the RTX
  // 5090D OOM text of §7.1. Load: "n/a" in §2.1, so §4's "~20-30 s" with the
  // H100's measured 28.2 s.
  GpuProfile rtx5090;
  rtx5090.name = "rtx5090";
  rtx5090.display_name = "NVIDIA GeForce RTX 5090";
  rtx5090.vram_bytes = static_cast<uint64_t>(31.35 * kGiB);
  rtx5090.step_seconds = 2.179 / 9;
  rtx5090.text_encode_seconds = 0.252;
  rtx5090.vae_decode_seconds = 0.0071;
  rtx5090.png_encode_seconds = 0.0539;
  rtx5090.cold_start_seconds = 28.222;
  // Not in the reference: RTX 5090 board power 575 W; idle ~30 W.
  rtx5090.idle_watts = 30;
  rtx5090.max_watts = 575;
  out.push_back(rtx5090);

  // L20 48 GB. §2.2 vLLM-Omni PR #735: 20 steps with CFG (2 forwards per step)
  // in 26.9 s, "≈ 0.65 s per DiT forward at TP1 (derived)"; §3 effective
  // 92 TFLOPS. Turbo has no CFG, so one forward per step. Text encode and
  // decode are not measured: the RTX 5090's scaled by effective TFLOPS
  // 225/92 (§3); PNG/HTTP is CPU work, taken from the 5090. Load: §4
  // "datacenter GPU ~20-30 s" -> 25 s.
  GpuProfile l20;
  l20.name = "l20";
  l20.display_name = "NVIDIA L20";
  l20.vram_bytes = 48 * kGiB;
  l20.step_seconds = 0.65;
  l20.text_encode_seconds = 0.252 * 225.0 / 92.0;
  l20.vae_decode_seconds = 0.0071 * 225.0 / 92.0;
  l20.png_encode_seconds = 0.0539;
  l20.cold_start_seconds = 25.0;
  // Not in the reference: L20 board power 275 W; idle ~30 W.
  l20.idle_watts = 30;
  l20.max_watts = 275;
  out.push_back(l20);

  // RTX 3090 Ti 24 GB. §2.2 ComfyUI (miroleon benchmark): 1024², 7 steps,
  // 0.89 s/it, warm 6.74 s; first run 27.9 s (§4). Non-step time
  // 6.74 - 7 x 0.89 = 0.51 s, split in the RTX 5090's proportions
  // (252 : 7.1 : 53.9): text 0.41 s, decode 0.012 s, PNG 0.088 s. Cold
  // start = first run - warm = 21.16 s.
  GpuProfile rtx3090ti;
  rtx3090ti.name = "rtx3090ti";
  rtx3090ti.display_name = "NVIDIA GeForce RTX 3090 Ti";
  rtx3090ti.vram_bytes = 24 * kGiB;
  rtx3090ti.step_seconds = 0.89;
  rtx3090ti.text_encode_seconds = 0.51 * 252.0 / 313.0;
  rtx3090ti.vae_decode_seconds = 0.51 * 7.1 / 313.0;
  rtx3090ti.png_encode_seconds = 0.51 * 53.9 / 313.0;
  rtx3090ti.cold_start_seconds = 27.9 - 6.74;
  rtx3090ti.pcie_bytes_per_second = 20e9;
  // Not in the reference: RTX 3090 Ti board power 450 W; idle ~30 W.
  rtx3090ti.idle_watts = 30;
  rtx3090ti.max_watts = 450;
  out.push_back(rtx3090ti);

  // Tesla T4 15 GB. §2.2 dangkhoa2016 Kaggle 2xT4 project: 512², 9 steps,
  // 52.5 s golden; DiT on cuda:0, text encoder + VAE on cuda:1; no flash
  // attention (768² near the memory ceiling, 1024² refused; §5). The fixed
  // times are not reported; assumed text 2.0 s, decode 0.4 s, PNG 0.05 s,
  // leaving (52.5 - 2.45) / 9 = 5.56 s per step at 512². Load not reported;
  // §4 gives ~20-30 s for local NVMe, this setup is slower: assumed 60 s.
  GpuProfile t4;
  t4.name = "t4";
  t4.display_name = "Tesla T4";
  t4.vram_bytes = 15 * kGiB;
  t4.ref_width = 512;
  t4.ref_height = 512;
  t4.step_seconds = (52.5 - 2.45) / 9;
  t4.text_encode_seconds = 2.0;
  t4.vae_decode_seconds = 0.4;
  t4.png_encode_seconds = 0.05;
  t4.cold_start_seconds = 60.0;
  t4.attention = AttentionKind::kMath;
  t4.dit_only = true;
  t4.pcie_bytes_per_second = 12e9;  // PCIe 3 x16; not in the reference
  // Not in the reference: T4 board power 70 W; idle ~10 W.
  t4.idle_watts = 10;
  t4.max_watts = 70;
  out.push_back(t4);

  return out;
}

std::string Canonical(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == ' ') continue;
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.rfind("nvidia", 0) == 0) out.erase(0, 6);
  if (out.rfind("geforce", 0) == 0) out.erase(0, 7);
  if (out.rfind("tesla", 0) == 0) out.erase(0, 5);
  if (out == "5090") return "rtx5090";
  if (out == "3090ti") return "rtx3090ti";
  return out;
}

}  // namespace

const std::vector<GpuProfile>& BuiltinProfiles() {
  static const std::vector<GpuProfile> profiles = MakeProfiles();
  return profiles;
}

StatusOr<GpuProfile> FindProfile(std::string_view name) {
  std::string wanted = Canonical(name);
  std::string known;
  for (const GpuProfile& p : BuiltinProfiles()) {
    if (p.name == wanted) return p;
    if (!known.empty()) known += ", ";
    known += p.name;
  }
  return NotFoundError("unknown GPU profile '" + std::string(name) +
                       "'; known profiles: " + known);
}

}  // namespace zimon::sim
