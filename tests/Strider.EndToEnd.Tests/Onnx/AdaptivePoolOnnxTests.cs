using Strider.Devices;

namespace Strider.EndToEnd.Tests.Onnx;

/// <summary>AdaptiveAvgPool whose sizes divide its input: exported as AveragePool with kernel = stride = in / out.</summary>
[Network, Input(2, 8, 9)]
[Conv(3, 3, Pad = 1), AdaptiveAvgPool(4, 3), AdaptiveMaxPool(2, 1), Flatten, Dense(2)]
public partial class EvenAdaptivePools;

/// <summary>
/// Adaptive pools whose output is a multiple of their input on some axis (each window one pixel): exported as a nearest
/// Resize, after an AveragePool/MaxPool on the axes the output divides; the last is VGG's 7x7 pool after a 1x1 map.
/// </summary>
[Network, Input(2, 2, 6)]
[Conv(3, 1), AdaptiveAvgPool(4, 3), AdaptiveMaxPool(8, 3), MaxPool(8, 3), AdaptiveAvgPool(7, 7), Flatten, Dense(2)]
public partial class RepeatingAdaptivePools;

/// <summary>Global and adaptive pooling exported to ONNX (GlobalAveragePool, GlobalMaxPool, AveragePool, MaxPool) and run by ONNX Runtime.</summary>
public sealed class AdaptivePoolOnnxTests
{
    [Fact]
    public void GlobalAvgPool_head_matches_at_several_free_sizes_through_one_model()
    {
        using var net = new GlobalAvgHead(Device.Default, 1);
        OnnxExportTests.Prepare(net, 60, 9, 11);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, GlobalAvgHead.InputName, 1, 61, 9, 11);
        OnnxExportTests.AssertSame(net, session, GlobalAvgHead.InputName, 3, 62, 21, 5);
    }

    [Fact]
    public void GlobalMaxPool_1d_head_matches()
    {
        using var net = new GlobalMaxHead1d(Device.Default, 2);
        OnnxExportTests.Prepare(net, 63, 13);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, GlobalMaxHead1d.InputName, 2, 64, 13);
        OnnxExportTests.AssertSame(net, session, GlobalMaxHead1d.InputName, 1, 65, 40);
    }

    [Fact]
    public void Adaptive_pools_whose_sizes_divide_their_input_match()
    {
        using var net = new EvenAdaptivePools(Device.Default, 3);
        OnnxExportTests.Prepare(net, 66);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, EvenAdaptivePools.InputName, 2, 67);
    }

    [Fact]
    public void Adaptive_pools_whose_output_is_a_multiple_of_their_input_match()
    {
        using var net = new RepeatingAdaptivePools(Device.Default, 5);
        OnnxExportTests.Prepare(net, 68);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, RepeatingAdaptivePools.InputName, 2, 69);
    }

    [Fact]
    public void Uneven_adaptive_windows_refuse_export_naming_the_layer_and_sizes()
    {
        using var net = new AdaptivePools(Device.Default, 4);
        var e = Assert.Throws<NotSupportedException>(() => net.ExportOnnx());
        Assert.Contains("layer 'apool1' (AdaptiveAvgPool 3x3): ONNX has no adaptive pooling, and its input size 5 is neither a multiple nor a divisor of its output size 3", e.Message);
    }
}

/// <summary>Upsample (Resize) and PixelShuffle (DepthToSpace CRD) run by ONNX Runtime.</summary>
public sealed class UpsampleOnnxTests
{
    [Fact]
    public void Fpn_with_nearest_resize_and_depth_to_space_matches_at_two_free_sizes()
    {
        using var net = new FpnShuffle(Device.Default, 1);
        OnnxExportTests.Prepare(net, 80, 8, 12);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, FpnShuffle.InputName, 2, 81, 8, 12);
        OnnxExportTests.AssertSame(net, session, FpnShuffle.InputName, 1, 82, 16, 4);
    }

    [Fact]
    public void Bilinear_half_pixel_and_align_corners_match()
    {
        using var net = new BilinearUps(Device.Default, 2);
        OnnxExportTests.Prepare(net, 83);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, BilinearUps.InputName, 2, 84);
    }

    [Fact]
    public void Nearest_1d_matches()
    {
        using var net = new Nearest1d(Device.Default, 3);
        OnnxExportTests.Prepare(net, 85, 7);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, Nearest1d.InputName, 2, 86, 7);
        OnnxExportTests.AssertSame(net, session, Nearest1d.InputName, 1, 87, 12);
    }
}

/// <summary>ChannelSlice (Slice), ChannelShuffle (Gather) and ChannelPad (Pad on axis 1) run by ONNX Runtime.</summary>
public sealed class ChannelOnnxTests
{
    [Fact]
    public void Shuffle_unit_matches_at_two_free_sizes()
    {
        using var net = new ShuffleUnit(Device.Default, 1);
        OnnxExportTests.Prepare(net, 91, 5, 6);
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, ShuffleUnit.InputName, 2, 92, 5, 6);
        OnnxExportTests.AssertSame(net, session, ShuffleUnit.InputName, 1, 93, 9, 2);
    }
}
