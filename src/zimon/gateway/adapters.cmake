# Backend adapters: how the gateway talks to vLLM-Omni (openai), sd-server
# (sdcpp) and ComfyUI (comfyui). Tests against the simulator are the separate
# gateway_adapter_test target at the end of CMakeLists.txt.
list(APPEND gateway_srcs
  adapter.cc
  adapter_util.cc
  base64.cc
  comfyui_adapter.cc
  comfyui_workflow_template.cc
  openai_adapter.cc
  sdcpp_adapter.cc
)
list(APPEND gateway_tests
  adapter_util_test.cc
  base64_test.cc
  comfyui_workflow_template_test.cc
)
list(APPEND gateway_deps zimon_http nlohmann_json::nlohmann_json)
