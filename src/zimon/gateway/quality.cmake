# No-reference image quality scorer (docs/quality.md). PNG via libspng (found
# by src/zimon/sim); JPEG via libjpeg when its development files are present,
# otherwise JPEG input is reported as "JPEG decoding not built".
list(APPEND gateway_srcs
  image_decode.cc
  image_decode_jpeg.cc
  quality.cc
  quality_measures.cc
  quality_metrics.cc)
list(APPEND gateway_tests
  image_decode_test.cc
  quality_measures_test.cc
  quality_metrics_test.cc
  quality_test.cc
  quality_test_images.cc)
# PkgConfig::SPNG from src/zimon/sim is not visible in this sibling directory;
# import libspng here under our own prefix.
pkg_check_modules(ZIMON_SPNG REQUIRED IMPORTED_TARGET spng)
list(APPEND gateway_deps PkgConfig::ZIMON_SPNG)

pkg_check_modules(ZIMON_LIBJPEG IMPORTED_TARGET libjpeg)
if(ZIMON_LIBJPEG_FOUND)
  list(APPEND gateway_deps PkgConfig::ZIMON_LIBJPEG)
  set_source_files_properties(image_decode_jpeg.cc image_decode_test.cc
    PROPERTIES COMPILE_DEFINITIONS ZIMON_HAVE_JPEG=1)
else()
  message(STATUS "libjpeg not found: JPEG images will be reported undecodable")
endif()
