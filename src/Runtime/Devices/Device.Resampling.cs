namespace Strider.Devices;

// Resampling over [n, C, H, W] planes: upsampling (nearest, bilinear) and pixel shuffle.
public abstract partial class Device
{
    /// <summary>y = x upsampled as <paramref name="g"/> says (<see cref="UpsampleGeometry"/>).</summary>
    public abstract void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y);

    /// <summary>Each input position gets the sum of the dy it was read into, times its weights.</summary>
    public abstract void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>
    /// PyTorch's pixel_shuffle: x [n, channels r^2, h, w] -> y [n, channels, h r, w r] with
    /// y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w].
    /// </summary>
    public abstract void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y);

    /// <summary>The inverse permutation: dx [n, channels r^2, h, w] from dy [n, channels, h r, w r].</summary>
    public abstract void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>Throws naming the op and the sizes unless they are positive (batch and channels not negative).</summary>
    internal static void CheckPixelShuffle(string op, int n, int channels, int h, int w, int r)
    {
        if (n < 0 || channels < 0 || h < 1 || w < 1 || r < 1)
            throw new System.ArgumentOutOfRangeException(nameof(r), $"{op}: batch {n}, {channels} output channels, {h}x{w}, factor {r}: sizes and factor must be at least 1.");
    }
}
