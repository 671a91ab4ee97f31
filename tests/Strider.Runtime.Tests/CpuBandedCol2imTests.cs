using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>Strided col2im backward data of one (image, channel block) item, run by row bands over the workers (the U-net's 1-channel deconv).</summary>
public sealed class CpuBandedCol2imTests
{
    public static TheoryData<string> Geometries => new(Cases.Keys);

    private static readonly Dictionary<string, (ConvGeometry G, int N)> Cases = new()
    {
        ["1 dx channel, 4 dY channels, 5x5 stride 2, 383x383 (dY 190x190)"] = (Conv(1, 383, 383, 4, 5, 5, sh: 2, sw: 2), 1),
        ["2 dx channels, 3 dY channels, 5x5 stride 2 padded 2/2 down and 1/1 across, 381x383"] = (Conv(2, 381, 383, 3, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 1, pr: 1), 1),
        ["1 dx channel, 2 dY channels, 3x3 stride 3 dilation 2, 2 images of 580x600"] = (Conv(1, 580, 600, 2, 3, 3, sh: 3, sw: 3, dh: 2, dw: 2), 2),
    };

    private static float[] Run(CpuDevice device, ConvGeometry g, int n, float[] dy, float[] w, float[] dx0, bool accumulate)
    {
        using var tdy = device.Allocate<float>(dy.Length);
        using var tw = device.Allocate<float>(w.Length);
        using var tdx = device.Allocate<float>(dx0.Length);
        tdy.Upload(dy);
        tw.Upload(w);
        tdx.Upload(dx0);
        device.ConvBackwardData(g, n, tdy, tw, tdx, accumulate);
        Assert.Equal(ConvKernel.GemmCol2im, CpuConvolution.LastKernel);
        return tdx.ToArray();
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Bands_match_the_reference_and_give_the_same_bits_on_one_thread_as_on_two(string name)
    {
        var (g, n) = Cases[name];
        Assert.True(CpuConvolution.BandsApply(g, n), $"{name}: the bands do not apply");
        var rng = new Random(21);
        var (dy, w, dx0) = (Uniform(rng, n * g.OutputSize), Uniform(rng, g.WeightSize), Uniform(rng, n * g.InputSize));
        using var two = new CpuDevice(2);
        using var one = new CpuDevice(1);
        var reference = new ReferenceDevice();
        foreach (bool accumulate in new[] { true, false })
        {
            var dx = Run(two, g, n, dy, w, dx0, accumulate);
            using var rdy = reference.Allocate<float>(dy.Length);
            using var rw = reference.Allocate<float>(w.Length);
            using var rdx = reference.Allocate<float>(dx0.Length);
            rdy.Upload(dy);
            rw.Upload(w);
            rdx.Upload(dx0);
            reference.ConvBackwardData(g, n, rdy, rw, rdx, accumulate);
            AssertClose(rdx.ToArray(), dx, $"{name}, accumulate {accumulate}");
            Assert.Equal(dx, Run(one, g, n, dy, w, dx0, accumulate));
        }
    }
}
