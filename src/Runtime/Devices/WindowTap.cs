namespace Strider.Devices;

/// <summary>
/// One axis of a sliding window (convolution and pooling, <see cref="ConvGeometry"/> and <see cref="PoolGeometry"/>):
/// tap k of output o reads input o * stride - pad + k * dilation. Forward passes ask which input a tap reads; backward
/// passes that gather per input element ask the inverse, which output's tap reads it. Static methods on a value type
/// with no allocation, so ILGPU kernels call them too.
/// </summary>
internal readonly struct WindowTap
{
    /// <summary>The input position tap <paramref name="k"/> of output <paramref name="o"/> reads, or -1 where it falls outside [0, <paramref name="inSize"/>) (padding).</summary>
    public static int Input(int o, int k, int stride, int pad, int dilation, int inSize)
    {
        int i = o * stride - pad + k * dilation;
        return i >= 0 && i < inSize ? i : -1;
    }

    /// <summary>
    /// The output whose tap <paramref name="k"/> reads input <paramref name="i"/>, or -1 where none does (the position
    /// falls between strides, before the first output or past the last one).
    /// </summary>
    public static int Output(int i, int k, int stride, int pad, int dilation, int outSize)
    {
        int n = i + pad - k * dilation;
        if (n < 0 || n % stride != 0) return -1;
        int o = n / stride;
        return o < outSize ? o : -1;
    }

    /// <summary>How many of output <paramref name="o"/>'s <paramref name="kernel"/> taps fall inside the input (an average pool's divisor, padding skipped).</summary>
    public static int InBounds(int o, int kernel, int stride, int pad, int dilation, int inSize)
    {
        int count = 0;
        for (int k = 0; k < kernel; k++)
            if (Input(o, k, stride, pad, dilation, inSize) >= 0) count++;
        return count;
    }
}
