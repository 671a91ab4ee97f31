using Strider.Devices;

namespace Strider.Runtime.Tests;

/// <summary>
/// The window helper the ILGPU conv and pooling kernels share: its inverse (which output's tap reads an input) answers
/// exactly the pairs its forward (which input a tap reads) gives, with strides, dilations, both pads, negative pads
/// (the dense variant's offsets) and ceil-mode last windows.
/// </summary>
public sealed class WindowTapTests
{
    public static TheoryData<int, int, int, int, int, int> Axes => new()
    {
        // in, out, kernel, stride, pad, dilation
        { 6, 6, 3, 1, 1, 1 },
        { 7, 4, 2, 2, 1, 1 },
        { 9, 3, 3, 3, 0, 2 },
        { 5, 3, 3, 2, 1, 1 },   // ceil mode: the last window hangs off the end
        { 12, 8, 3, 1, -2, 2 }, // negative pad: a window starting inside the input
        { 4, 9, 3, 1, 3, 1 },   // more outputs than inputs: windows made of padding alone
    };

    [Theory]
    [MemberData(nameof(Axes))]
    public void Output_is_the_inverse_of_Input(int inSize, int outSize, int kernel, int stride, int pad, int dilation)
    {
        var reads = new HashSet<(int O, int K, int I)>();
        for (int o = 0; o < outSize; o++)
        {
            int inBounds = 0;
            for (int k = 0; k < kernel; k++)
            {
                int expected = o * stride - pad + k * dilation;
                int i = WindowTap.Input(o, k, stride, pad, dilation, inSize);
                Assert.Equal(expected >= 0 && expected < inSize ? expected : -1, i);
                if (i < 0) continue;
                reads.Add((o, k, i));
                inBounds++;
            }
            Assert.Equal(inBounds, WindowTap.InBounds(o, kernel, stride, pad, dilation, inSize));
        }

        var inverse = new HashSet<(int O, int K, int I)>();
        for (int i = 0; i < inSize; i++)
            for (int k = 0; k < kernel; k++)
            {
                int o = WindowTap.Output(i, k, stride, pad, dilation, outSize);
                if (o >= 0) inverse.Add((o, k, i));
            }
        Assert.Equal(reads.OrderBy(r => r), inverse.OrderBy(r => r));
    }
}
