using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Upsampling and pixel shuffle: argument checks, then one cached kernel launch per op.
public sealed partial class IlgpuDevice
{
    private Action<Index1D, ResamplingKernels.Geometry, ArrayView<float>, ArrayView<float>>? _upsample;
    private Action<Index1D, ResamplingKernels.Geometry, ArrayView<float>, ArrayView<float>, int>? _upsampleBackward;
    private Action<Index1D, int, int, int, int, ArrayView<float>, ArrayView<float>>? _pixelShuffle;
    private Action<Index1D, int, int, int, int, ArrayView<float>, ArrayView<float>, int>? _pixelShuffleBackward;

    public override void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        g.Check(nameof(UpsampleForward), n);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vy = V(y, n * g.OutputSize, nameof(y));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        (_upsample ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ResamplingKernels.Geometry, ArrayView<float>, ArrayView<float>>(ResamplingKernels.UpsampleForward))
            (threads, new ResamplingKernels.Geometry(g), vx, vy);
    }

    public override void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        g.Check(nameof(UpsampleBackward), n);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        (_upsampleBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ResamplingKernels.Geometry, ArrayView<float>, ArrayView<float>, int>(ResamplingKernels.UpsampleBackward))
            (threads, new ResamplingKernels.Geometry(g), vdy, vdx, Flag(accumulate));
    }

    public override void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        CheckPixelShuffle(nameof(PixelShuffleForward), n, channels, h, w, r);
        long size = (long)n * channels * r * r * h * w;
        var vx = V(x, size, nameof(x));
        var vy = V(y, size, nameof(y));
        int threads = Threads(size, nameof(n));
        if (threads == 0) return;
        (_pixelShuffle ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, int, ArrayView<float>, ArrayView<float>>(ResamplingKernels.PixelShuffleForward))
            (threads, channels, h, w, r, vx, vy);
    }

    public override void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        CheckPixelShuffle(nameof(PixelShuffleBackward), n, channels, h, w, r);
        long size = (long)n * channels * r * r * h * w;
        var vdy = V(dy, size, nameof(dy));
        var vdx = V(dx, size, nameof(dx));
        int threads = Threads(size, nameof(n));
        if (threads == 0) return;
        (_pixelShuffleBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, int, ArrayView<float>, ArrayView<float>, int>(ResamplingKernels.PixelShuffleBackward))
            (threads, channels, h, w, r, vdy, vdx, Flag(accumulate));
    }
}
