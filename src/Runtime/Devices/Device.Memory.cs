using System;

namespace Strider.Devices;

// Memory: fills, copies (with accumulation), boxes between [n, C, H, W] tensors and axis permutations.
public abstract partial class Device
{
    public abstract void Fill(DeviceBuffer<float> buffer, long offset, long count, float value);

    /// <summary>dst[dstOffset + i] = src[srcOffset + i] (or += when accumulating).</summary>
    public abstract void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate);

    /// <summary>Copies a box between [n, C, H, W] tensors, per batch item (Concat, Pad, Crop and their gradients).</summary>
    public abstract void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate);

    /// <summary>y[b, perm(i)] = x[b, i] for each of the <paramref name="n"/> batch items.</summary>
    public abstract void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate);
}
