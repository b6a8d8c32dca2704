#include "zimon/gateway/adapter.h"

#include "zimon/gateway/base64.h"
#include "zimon/gateway/comfyui_adapter.h"
#include "zimon/gateway/openai_adapter.h"
#include "zimon/gateway/sdcpp_adapter.h"
#include "zimon/http/url.h"

namespace zimon::gateway {

StatusOr<std::unique_ptr<BackendAdapter>> MakeAdapter(
    const BackendConfig& config, http::Client& client, FileSystem& fs) {
  std::string where = "backend '" + config.name + "'";
  StatusOr<http::Url> url = http::ParseUrl(config.url);
  if (!url.ok()) {
    return InvalidArgumentError(where + ": url '" + config.url +
                                "': " + std::string(url.status().message()));
  }
  if (url->target.find('?') != std::string::npos) {
    return InvalidArgumentError(where + ": url '" + config.url +
                                "' must not have a query");
  }
  std::string base = config.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (config.adapter == "openai") {
    return std::unique_ptr<BackendAdapter>(
        std::make_unique<OpenAiAdapter>(base, config.model, client));
  }
  if (config.adapter == "sdcpp") {
    SdcppAdapterOptions options;
    options.api =
        config.sdcpp_api == "jobs" ? SdcppApi::kJobs : SdcppApi::kOpenAi;
    return std::unique_ptr<BackendAdapter>(
        std::make_unique<SdcppAdapter>(base, client, options));
  }
  if (config.adapter == "comfyui") {
    StatusOr<ComfyWorkflowTemplate> workflow =
        ComfyWorkflowTemplate::Load(config.workflow, fs);
    if (!workflow.ok()) {
      return Status(workflow.status().code(),
                    where + ": " + std::string(workflow.status().message()));
    }
    return std::unique_ptr<BackendAdapter>(
        std::make_unique<ComfyUiAdapter>(base, std::move(*workflow), client));
  }
  return InvalidArgumentError(where + ": unknown adapter '" + config.adapter +
                              "' (openai, sdcpp or comfyui)");
}

Status DecodeImage(GeneratedImage& image) {
  if (!image.bytes.empty() || image.b64.empty()) return OkStatus();
  StatusOr<std::string> bytes = Base64Decode(image.b64.view());
  if (!bytes.ok()) {
    return DataLossError("image base64: " +
                         std::string(bytes.status().message()));
  }
  image.bytes = std::move(*bytes);
  return OkStatus();
}

std::string_view SniffImageType(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
  if (bytes.starts_with("\xff\xd8\xff")) return "image/jpeg";
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") &&
      bytes.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  return "";
}

}  // namespace zimon::gateway
