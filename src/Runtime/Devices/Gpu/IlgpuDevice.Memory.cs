using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Memory: fill, copy, box copies and permutes, one cached kernel launch each. Kernels load on first use, once per device.
public sealed partial class IlgpuDevice
{
    // ---- memory ----

    private Action<Index1D, ArrayView<float>, float>? _fill;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _copy;
    private Action<Index1D, BoxCopy, ArrayView<float>, ArrayView<float>, int>? _copyBox;
    private Action<Index1D, PermuteGeometry, ArrayView<float>, ArrayView<float>, int>? _permute;

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        var whole = V(buffer, 0, nameof(buffer));
        // Checked before SubView: ILGPU asserts on a bad sub-view, which ends the process instead of throwing.
        CheckSpan(buffer, offset, count, nameof(buffer));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        var view = whole.SubView(offset, count);
        (_fill ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(MemoryKernels.Fill))(threads, view, value);
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        var wholeSrc = V(src, 0, nameof(src));
        var wholeDst = V(dst, 0, nameof(dst));
        CheckSpan(src, srcOffset, count, nameof(src));
        CheckSpan(dst, dstOffset, count, nameof(dst));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        var s = wholeSrc.SubView(srcOffset, count);
        var d = wholeDst.SubView(dstOffset, count);
        var copy = _copy ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.Copy);
        if (ReferenceEquals(src, dst) && srcOffset < dstOffset + count && dstOffset < srcOffset + count)
        {
            // Overlapping ranges of one buffer: threads would read values others already wrote, so stage the source.
            var staged = Scratch(count).SubView(0, count);
            copy(threads, s, staged, 0);
            s = staged;
        }
        copy(threads, s, d, Flag(accumulate));
    }

    public override void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        if (box.SrcC0 < 0 || box.SrcY0 < 0 || box.SrcX0 < 0 || box.SrcC0 + box.BoxChannels > box.SrcChannels || box.SrcY0 + box.BoxH > box.SrcH || box.SrcX0 + box.BoxW > box.SrcW
            || box.DstC0 < 0 || box.DstY0 < 0 || box.DstX0 < 0 || box.DstC0 + box.BoxChannels > box.DstChannels || box.DstY0 + box.BoxH > box.DstH || box.DstX0 + box.BoxW > box.DstW)
            throw new ArgumentException($"The box {box} does not fit inside both tensors.", nameof(box));
        var s = V(src, (long)n * box.SrcChannels * box.SrcH * box.SrcW, nameof(src));
        var d = V(dst, (long)n * box.DstChannels * box.DstH * box.DstW, nameof(dst));
        int threads = Threads((long)n * box.BoxChannels * box.BoxH * box.BoxW, "box");
        if (threads == 0) return;
        (_copyBox ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, BoxCopy, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.CopyBox))(threads, box, s, d, Flag(accumulate));
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        Span<bool> seen = stackalloc bool[4];
        foreach (int p in stackalloc[] { g.P0, g.P1, g.P2, g.P3 })
        {
            if (p < 0 || p > 3 || seen[p]) throw new ArgumentException($"{g} is not a permutation of the axes 0..3.", nameof(g));
            seen[p] = true;
        }
        var vx = V(x, n * g.Size, nameof(x));
        var vy = V(y, n * g.Size, nameof(y));
        int threads = Threads(n * g.Size, nameof(n));
        if (threads == 0) return;
        (_permute ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PermuteGeometry, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.Permute))(threads, g, vx, vy, Flag(accumulate));
    }
}
