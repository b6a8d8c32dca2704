# No-reference image quality scorer (docs/quality.md). PNG: 8-bit grey/RGB(A)
# without interlacing by zimon's own decoder on libdeflate or ISA-L, the rest
# via libspng; JPEG via libjpeg and WebP via libwebp when their development files
# are present, otherwise such input is reported as "JPEG decoding not built",
# resp. "WebP decoding not built".
list(APPEND gateway_srcs
  image_decode.cc
  image_decode_jpeg.cc
  image_decode_png.cc
  image_decode_unfilter.cc
  image_decode_webp.cc
  quality.cc
  quality_measures.cc
  quality_metrics.cc)
list(APPEND gateway_tests
  image_decode_png_test.cc
  image_decode_test.cc
  image_decode_unfilter_test.cc
  quality_measures_test.cc
  quality_metrics_test.cc
  quality_test.cc
  quality_test_images.cc)
# PkgConfig::SPNG from src/zimon/sim is not visible in this sibling directory;
# import libspng here under our own prefix.
pkg_check_modules(ZIMON_SPNG REQUIRED IMPORTED_TARGET spng)
list(APPEND gateway_deps PkgConfig::ZIMON_SPNG)

# libdeflate (Debian: libdeflate-dev): whole-buffer inflate and CRC-32 for the
# fast PNG path. Its pkg-config file is missing from some distributions.
pkg_check_modules(ZIMON_LIBDEFLATE IMPORTED_TARGET libdeflate)
if(ZIMON_LIBDEFLATE_FOUND)
  list(APPEND gateway_deps PkgConfig::ZIMON_LIBDEFLATE)
else()
  find_path(ZIMON_LIBDEFLATE_INCLUDE libdeflate.h)
  find_library(ZIMON_LIBDEFLATE_LIBRARY deflate)
  if(NOT ZIMON_LIBDEFLATE_INCLUDE OR NOT ZIMON_LIBDEFLATE_LIBRARY)
    message(FATAL_ERROR "libdeflate not found (install libdeflate-dev; "
                        "scripts/install-deps.sh)")
  endif()
  add_library(zimon_libdeflate INTERFACE IMPORTED)
  target_include_directories(zimon_libdeflate INTERFACE
    ${ZIMON_LIBDEFLATE_INCLUDE})
  target_link_libraries(zimon_libdeflate INTERFACE ${ZIMON_LIBDEFLATE_LIBRARY})
  list(APPEND gateway_deps zimon_libdeflate)
endif()

# Intel ISA-L (Debian: libisal-dev): the faster inflater for literal-heavy
# image data such as Pillow's PNGs (ChoosePngInflater). Optional: without it
# libdeflate inflates everything.
pkg_check_modules(ZIMON_LIBISAL IMPORTED_TARGET libisal)
if(ZIMON_LIBISAL_FOUND)
  list(APPEND gateway_deps PkgConfig::ZIMON_LIBISAL)
  set_property(SOURCE image_decode_png.cc APPEND PROPERTY COMPILE_DEFINITIONS
    ZIMON_HAVE_ISAL=1)
else()
  message(STATUS "ISA-L not found: libdeflate inflates every PNG")
endif()

# zlib: quality_test_images.cc writes PNGs the way PIL does (zlib level 6,
# Z_FILTERED, 64 KiB IDAT chunks) for the tests and bench/quality_bench.
find_package(ZLIB REQUIRED)
list(APPEND gateway_deps ZLIB::ZLIB)

# libjpeg(-turbo) (Debian: libjpeg62-turbo-dev): the JPEG decoder; its
# encoder makes the JPEG test images, as for WebP below.
pkg_check_modules(ZIMON_LIBJPEG IMPORTED_TARGET libjpeg)
set_property(GLOBAL PROPERTY ZIMON_HAVE_JPEG ${ZIMON_LIBJPEG_FOUND})
if(ZIMON_LIBJPEG_FOUND)
  list(APPEND gateway_deps PkgConfig::ZIMON_LIBJPEG)
  set_property(SOURCE image_decode_jpeg.cc image_decode_test.cc
    quality_test_images.cc APPEND PROPERTY COMPILE_DEFINITIONS
    ZIMON_HAVE_JPEG=1)
else()
  message(STATUS "libjpeg not found: JPEG images will be reported undecodable")
endif()

# libwebp (Debian: libwebp-dev): Google's reference WebP codec, for the WebP
# decoder. Its encoder makes the WebP test images (quality_test_images.cc) for
# the tests and bench/quality_bench; the bench directory reads the global
# property below, as source properties do not reach it.
pkg_check_modules(ZIMON_LIBWEBP IMPORTED_TARGET libwebp)
set_property(GLOBAL PROPERTY ZIMON_HAVE_WEBP ${ZIMON_LIBWEBP_FOUND})
if(ZIMON_LIBWEBP_FOUND)
  list(APPEND gateway_deps PkgConfig::ZIMON_LIBWEBP)
  set_property(SOURCE image_decode_webp.cc image_decode_test.cc quality_test.cc
    quality_test_images.cc APPEND PROPERTY COMPILE_DEFINITIONS ZIMON_HAVE_WEBP=1)
else()
  message(STATUS "libwebp not found: WebP images will be reported undecodable")
endif()
