// The stable-diffusion.cpp server front of the simulator (`zimon sim --api
// sdcpp`), as sd-server answers (reference zimage-turbo.md §8.4):
//
//   POST /v1/images/generations  {prompt, n, size "WxH", output_format,
//       output_compression}; native parameters travel in the prompt as
//       <sd_cpp_extra_args>{"sample_params":{"sample_steps":8,
//       "guidance":{"txt_cfg":1.0}},"seed":123}</sd_cpp_extra_args>.
//     200 {"created","output_format","data":[{"b64_json"}]} (synchronous)
//   POST /sdapi/v1/txt2img  A1111 shape {prompt, negative_prompt, width,
//       height, steps, cfg_scale, seed (-1 random), batch_size, ...}
//     200 {"images":[b64],"parameters":<request>,"info":""}
//   POST /sdcpp/v1/img_gen   202 {"id":"job_..","kind":"img_gen",
//       "status":"queued","created","poll_url":"/sdcpp/v1/jobs/<id>"};
//       429 {"error":"job queue is full"} when queued + generating jobs reach
//       the limit (SimContext::max_queue, sd-server's limits.max_queue_size)
//   GET /sdcpp/v1/jobs/{id}  200 {id, kind, status (queued | generating |
//       completed | failed | cancelled), created, started, completed,
//       queue_position, result: {output_format, images:[{index, b64_json}]}
//       | null, error: {code, message} | null}; 404 unknown; 410 expired
//       (finished jobs are kept 600 s)
//   POST /sdcpp/v1/jobs/{id}/cancel  200 / 404 / 409 (generating) / 410
//   GET /sdcpp/v1/capabilities, GET /v1/models ("sd-cpp-local")
//
// Server-wide defaults (sd-server's, wrong for Turbo): 512x512, 20 steps,
// cfg 7.0, seed 42. A cfg other than 1 runs the DiT twice per step
// (conditional and unconditional), so the engine is asked for twice the steps.
//
// Errors as sd-server gives them: 400 {"error":"empty body" | "prompt
// required" | "invalid sd_cpp_extra_args" | "invalid params" | "invalid
// generation parameters"}; malformed JSON: 500 {"error":"server_error",
// "message":..} on the synchronous routes, 400 {"error":"invalid json",
// "message":..} on img_gen; a failed generation: 500 {"error":"generate_image
// returned no results"} (the CUDA text goes to the log).
//
// Thread safety: handlers run concurrently on the server's I/O threads; the
// job table has its own lock.
#ifndef ZIMON_SIM_SDCPP_FRONT_H_
#define ZIMON_SIM_SDCPP_FRONT_H_

#include "zimon/common/status.h"
#include "zimon/http/router.h"
#include "zimon/sim/front.h"

namespace zimon::sim {

Status RegisterSdcppApi(http::Router& router, SimContext& ctx);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_SDCPP_FRONT_H_
