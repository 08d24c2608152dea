// Peak CUDA memory of the caching allocator, the number torch.cuda.max_memory_allocated() reports in Python, for the GPU check:
// TorchSharp 0.107 exposes no memory statistics. Two C functions over libtorch's C++ API, built beside LibTorchSharp.
#include <c10/cuda/CUDACachingAllocator.h>
#include <cstdint>

#define DELTALORA_EXPORT extern "C" __attribute__((visibility("default")))

// allocated_bytes is indexed by StatType; AGGREGATE (index 0) counts every pool, as max_memory_allocated does. The index is
// used instead of the enum's name because the enum moved between namespaces across libtorch 2.x releases.
DELTALORA_EXPORT int64_t deltalora_cuda_max_allocated(int32_t device)
{
    return c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device)).allocated_bytes[0].peak;
}

DELTALORA_EXPORT void deltalora_cuda_reset_peak(int32_t device)
{
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
}
