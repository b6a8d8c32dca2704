// sd-server's native async job API (/sdcpp/v1/img_gen, /sdcpp/v1/jobs/..)
// for the sd.cpp front; see sdcpp_front.h for the shapes.
//
// Thread safety: the job table is guarded by its own mutex; engine callbacks
// hold it weakly, so they are harmless after the router is gone.
#ifndef ZIMON_SIM_SDCPP_FRONT_JOBS_H_
#define ZIMON_SIM_SDCPP_FRONT_JOBS_H_

#include "zimon/common/status.h"
#include "zimon/http/router.h"
#include "zimon/sim/front.h"

namespace zimon::sim {

// Finished jobs are kept this long, then answer 410 (sd-server's defaults).
inline constexpr int64_t kSdcppJobTtlSeconds = 600;

Status RegisterSdcppJobRoutes(http::Router& router, SimContext& ctx);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_SDCPP_FRONT_JOBS_H_
