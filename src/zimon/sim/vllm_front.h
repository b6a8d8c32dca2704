// The vLLM-Omni front of the simulator (`zimon sim --api vllm-omni`), as
// `vllm serve Tongyi-MAI/Z-Image-Turbo --omni` answers (reference
// zimage-turbo.md §8.2, serving-observability.md §4.2):
//
//   POST /v1/images/generations  prompt (required), n 1..10, size "WxH"
//       (default 1024x1024), response_format "b64_json" (default) or "file"
//       ("url" is rejected), seed, num_inference_steps 1..200 (default 9,
//       at most 16 for this model), guidance_scale 0..20 (forced to 0),
//       negative_prompt, output_format, user, model ...
//     200 {"created","data":[{"b64_json","url":null,"revised_prompt":null}],
//          "output_format":"png","size":"WxH","metrics":null}
//     "file": the PNG itself (n > 1: a zip) as an attachment
//     400 {"detail":"Invalid size format: ..."}; 422 FastAPI's validation
//     list {"detail":[{"type","loc","msg","input"[,"ctx"]}]} for bad JSON,
//     missing or mistyped fields and out-of-range values; 500 {"detail":..}
//     when generation fails (CUDA OOM and runtime errors carry PyTorch's
//     text); 503 {"detail":..} when the engine refuses the request.
//   GET /v1/models   the served model, OpenAI list shape
//   GET /metrics     vllm_omni:num_requests_running / _waiting (from the
//                    engine), vllm_omni:requests_success_total{finished_reason
//                    stop|abort}, vllm_omni:e2e_request_latency_s histogram,
//                    all labelled model_name.
//
// Thread safety: handlers run concurrently on the server's I/O threads.
#ifndef ZIMON_SIM_VLLM_FRONT_H_
#define ZIMON_SIM_VLLM_FRONT_H_

#include "zimon/common/status.h"
#include "zimon/http/router.h"
#include "zimon/sim/front.h"

namespace zimon::sim {

Status RegisterVllmOmniApi(http::Router& router, SimContext& ctx);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_VLLM_FRONT_H_
