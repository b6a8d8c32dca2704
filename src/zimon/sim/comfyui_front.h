// The ComfyUI front of the simulator (`zimon sim --api comfyui`), as ComfyUI
// v0.3.x serves a Z-Image-Turbo workflow (reference zimage-turbo.md §8.5).
// Every route is also served under /api.
//
//   POST /prompt        {"prompt": <API graph>, "client_id", "prompt_id",
//                       "extra_data", "front", "number"} -> 200 {"prompt_id",
//                       "number", "node_errors"}; 400 {"error": {type,
//                       message, details, extra_info}, "node_errors"} (type
//                       no_prompt, invalid_prompt, prompt_no_outputs,
//                       prompt_outputs_failed_validation, ...; see
//                       comfyui_workflow.h)
//   GET  /prompt        {"exec_info": {"queue_remaining"}}
//   GET  /queue         {"queue_running", "queue_pending"}
//   POST /queue         {"clear": true} | {"delete": [prompt_id, ...]}
//   POST /interrupt     optional {"prompt_id"}; else every running prompt
//   POST /free          {"unload_models", "free_memory"}
//   GET  /history[?max_items=&offset=], GET /history/{prompt_id}
//   POST /history       {"clear": true} | {"delete": [...]}
//   GET  /view?filename=&subfolder=&type=output   the PNG
//   GET  /system_stats  system and the simulated device (vram from the engine)
//   GET  /object_info[/{node_class}]   the node types the simulator knows
//   GET  /ws?clientId=  WebSocket progress messages (comfyui_queue.h)
//
// Thread safety: handlers run concurrently on the server's I/O threads; the
// shared state is a ComfyQueue.
#ifndef ZIMON_SIM_COMFYUI_FRONT_H_
#define ZIMON_SIM_COMFYUI_FRONT_H_

#include "zimon/common/status.h"
#include "zimon/http/router.h"
#include "zimon/sim/front.h"

namespace zimon::sim {

Status RegisterComfyUiApi(http::Router& router, SimContext& ctx);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_COMFYUI_FRONT_H_
