using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>An FPN step on free sizes: valid inputs are the multiples of the total stride 4.</summary>
[Network, Input(2, Dim.Any, Dim.Any)]
[Conv(4, 2, Stride = 2, Name = "c1"), Conv(4, 2, Stride = 2, Name = "c2"), Upsample(2), Add("c1", "up1"), Conv(8, 1, Name = "c3"), PixelShuffle(2)]
public partial class FpnShuffle;

/// <summary>Bilinear with a rectangular scale, then with aligned corners.</summary>
[Network, Input(2, 5, 4)]
[Conv(3, 3, Pad = 1, Name = "conv"), Upsample(2, 3, Mode = Upsampling.Bilinear), Upsample(2, Mode = Upsampling.Bilinear, AlignCorners = true, Name = "up2")]
public partial class BilinearUps;

/// <summary>1-D nearest upsampling on a free length.</summary>
[Network, Input(2, Dim.Any)]
[Conv(3, 3, Name = "conv"), Upsample(3)]
public partial class Nearest1d;

/// <summary>Upsample and PixelShuffle against PyTorch (tools/reference/shape_nets.py), forward and backward.</summary>
public class UpsampleTests
{
    [Fact]
    public void Fpn_with_nearest_upsample_add_and_pixel_shuffle_matches_PyTorch()
    {
        using var net = new FpnShuffle(Device.Default, 1);
        AdaptivePoolTests.MatchesPyTorch(net, "fpn_upsample_shuffle", 8, 12);
        Assert.Contains("Valid input sizes on axis H: 4 + 4n", FpnShuffle.Summary);
    }

    [Fact]
    public void Bilinear_with_and_without_aligned_corners_matches_PyTorch()
    {
        using var net = new BilinearUps(Device.Default, 1);
        AdaptivePoolTests.MatchesPyTorch(net, "bilinear");
    }

    [Fact]
    public void Nearest_1d_matches_PyTorch()
    {
        using var net = new Nearest1d(Device.Default, 1);
        AdaptivePoolTests.MatchesPyTorch(net, "nearest_1d", 7);
    }

    [Fact]
    public void Backward_matches_finite_differences()
    {
        GradientTests.Check(new FpnShuffle(Device.Default, 3), 2, 70, freeDims: new[] { 4, 8 });
        GradientTests.Check(new BilinearUps(Device.Default, 3), 2, 71);
        GradientTests.Check(new Nearest1d(Device.Default, 3), 2, 72, freeDims: new[] { 6 });
    }
}
