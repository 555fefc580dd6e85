# Finds icsweep's dependencies (docs/design.md §6). Every dependency is a Debian package; on machines where a
# -dev package is missing, unpack it with `dpkg -x` into a folder and add that folder's usr/ to
# CMAKE_PREFIX_PATH: find_path/find_library below search <prefix>/include and <prefix>/lib/<arch>.
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(Boost REQUIRED COMPONENTS program_options)

add_library(icsweep::hdf5 INTERFACE IMPORTED)
target_include_directories(icsweep::hdf5 INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(icsweep::hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(icsweep::hdf5 INTERFACE ${HDF5_DEFINITIONS})

# Oniguruma: the regex engine Hugging Face tokenizers use. The runtime libonig.so.5 suffices when the
# libonig.so dev link is missing (GPU machine).
find_path(ONIG_INCLUDE_DIR oniguruma.h)
find_library(ONIG_LIBRARY NAMES onig libonig.so.5)
if(NOT ONIG_INCLUDE_DIR OR NOT ONIG_LIBRARY)
  message(FATAL_ERROR "oniguruma not found: install libonig-dev (scripts/install-deps.sh), or unpack it "
                      "with dpkg -x and add its usr/ folder to CMAKE_PREFIX_PATH")
endif()
add_library(icsweep::onig INTERFACE IMPORTED)
target_include_directories(icsweep::onig INTERFACE ${ONIG_INCLUDE_DIR})
target_link_libraries(icsweep::onig INTERFACE ${ONIG_LIBRARY})

# utf8proc: Unicode normalization (NFC/NFKC/NFD/NFKD) and categories.
find_path(UTF8PROC_INCLUDE_DIR utf8proc.h)
find_library(UTF8PROC_LIBRARY NAMES libutf8proc.a utf8proc libutf8proc.so.2)
if(NOT UTF8PROC_INCLUDE_DIR OR NOT UTF8PROC_LIBRARY)
  message(FATAL_ERROR "utf8proc not found: install libutf8proc-dev (scripts/install-deps.sh), or unpack it "
                      "with dpkg -x and add its usr/ folder to CMAKE_PREFIX_PATH")
endif()
add_library(icsweep::utf8proc INTERFACE IMPORTED)
target_include_directories(icsweep::utf8proc INTERFACE ${UTF8PROC_INCLUDE_DIR})
target_link_libraries(icsweep::utf8proc INTERFACE ${UTF8PROC_LIBRARY})

# xxHash: content digests of datasets and weights for resume identity (core/data/content_hash.h).
find_path(XXHASH_INCLUDE_DIR xxhash.h)
find_library(XXHASH_LIBRARY NAMES xxhash libxxhash.so.0)
if(NOT XXHASH_INCLUDE_DIR OR NOT XXHASH_LIBRARY)
  message(FATAL_ERROR "xxhash not found: install libxxhash-dev (scripts/install-deps.sh), or unpack it "
                      "with dpkg -x and add its usr/ folder to CMAKE_PREFIX_PATH")
endif()
add_library(icsweep::xxhash INTERFACE IMPORTED)
target_include_directories(icsweep::xxhash INTERFACE ${XXHASH_INCLUDE_DIR})
target_link_libraries(icsweep::xxhash INTERFACE ${XXHASH_LIBRARY})

# SentencePiece: for models that ship tokenizer.model without tokenizer.json.
find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h)
find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece)
if(NOT SENTENCEPIECE_INCLUDE_DIR OR NOT SENTENCEPIECE_LIBRARY)
  message(FATAL_ERROR "sentencepiece not found: install libsentencepiece-dev (scripts/install-deps.sh)")
endif()
add_library(icsweep::sentencepiece INTERFACE IMPORTED)
target_include_directories(icsweep::sentencepiece INTERFACE ${SENTENCEPIECE_INCLUDE_DIR})
target_link_libraries(icsweep::sentencepiece INTERFACE ${SENTENCEPIECE_LIBRARY})
