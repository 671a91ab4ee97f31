using Strider.Devices;
using Strider.IO;

namespace Strider.EndToEnd.Tests;

/// <summary>A free-size network ending in a Dense head: GlobalAvgPool makes every size &gt;= 3 (odd, for the stride) usable.</summary>
[Network, Input(2, Dim.Any, Dim.Any)]
[Conv(4, 3, Stride = 2, Name = "conv"), Relu, GlobalAvgPool(Name = "gpool1"), Flatten, Dense(3, Name = "fc")]
public partial class GlobalAvgHead;

/// <summary>1-D, free length, GlobalMaxPool (switches kept for backward).</summary>
[Network, Input(2, Dim.Any)]
[Conv(4, 3, Name = "conv"), GlobalMaxPool(Name = "gpool1"), Flatten, Dense(3, Name = "fc")]
public partial class GlobalMaxHead1d;

/// <summary>Uneven adaptive windows (5 -> 3, 8 -> 3), then an output taller than its input (3 -> 4 repeats rows).</summary>
[Network, Input(2, 7, 10)]
[Conv(3, 3, Name = "conv"), AdaptiveAvgPool(3, 3, Name = "apool1"), AdaptiveMaxPool(4, 2, Name = "apool2"), Flatten, Dense(2, Name = "fc")]
public partial class AdaptivePools;

/// <summary>Global and adaptive pooling against PyTorch (tools/reference/shape_nets.py), forward and backward.</summary>
public class AdaptivePoolTests
{
    internal static string Reference(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generators.sln")))
                return Path.Combine(dir.FullName, "tests", "Strider.EndToEnd.Tests", "Data", "reference", file + ".safetensors");
        throw new InvalidOperationException($"No Generators.sln above {AppContext.BaseDirectory}: the test reads the fixtures from the repository.");
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1.0, Math.Abs(expected[i]))))
                Assert.Fail($"{what}[{i}]: PyTorch {expected[i]:R}, Strider {actual[i]:R}");
    }

    /// <summary>Loads the PyTorch weights, runs x forward and dy backward, and compares y, dx and every parameter gradient.</summary>
    internal static void MatchesPyTorch<TIn, TOut>(INetwork<TIn, TOut> net, string fixture, params int[] freeDims) where TIn : IShape where TOut : IShape
    {
        SafeTensors.Load(net, Reference(fixture + ".weights"));
        var io = SafeTensorsFile.Read(Reference(fixture + ".io"));
        using var x = Tensor<TIn>.From(net.Device, io.GetFloats("x"), freeDims);
        var y = net.Forward(x);
        AssertClose(io.GetFloats("y"), y.ToArray(), fixture + " y");
        var dyData = io.GetFloats("dy");
        var outputFree = y.Dims.ToArray().Where((_, axis) => TOut.Dims[axis] == Dim.Any).ToArray();
        using var dy = Tensor<TOut>.From(net.Device, dyData, outputFree);
        AssertClose(io.GetFloats("dx"), net.Backward(dy).ToArray(), fixture + " dx");
        foreach (var p in net.Parameters)
            AssertClose(io.GetFloats("grad/" + p.Name), p.Gradient.ToArray(), fixture + " grad/" + p.Name);
    }

    [Fact]
    public void GlobalAvgPool_head_on_a_free_size_matches_PyTorch()
    {
        using var net = new GlobalAvgHead(Device.Default, 2);
        MatchesPyTorch(net, "global_avg_head", 9, 11);
    }

    [Fact]
    public void GlobalMaxPool_1d_head_matches_PyTorch()
    {
        using var net = new GlobalMaxHead1d(Device.Default, 2);
        MatchesPyTorch(net, "global_max_head_1d", 13);
    }

    [Fact]
    public void Adaptive_pools_with_uneven_and_growing_windows_match_PyTorch()
    {
        using var net = new AdaptivePools(Device.Default, 2);
        MatchesPyTorch(net, "adaptive_pools");
    }

    [Fact]
    public void One_free_size_network_runs_at_several_sizes_with_a_fixed_output()
    {
        using var net = new GlobalAvgHead(Device.Default, 2);
        foreach (var (h, w) in new[] { (3, 3), (9, 11), (21, 5) })
        {
            using var x = Tensor<S2xAnyxAny>.From(net.Device, new float[2 * 2 * h * w], h, w);
            Assert.Equal(new[] { 3 }, net.Forward(x).Dims.ToArray());
        }
        Assert.Contains("GlobalAvgPool", GlobalAvgHead.Summary);
    }

    [Fact]
    public void Backward_matches_finite_differences()
    {
        GradientTests.Check(new GlobalAvgHead(Device.Default, 3), 2, 50, freeDims: new[] { 7, 9 });
        GradientTests.Check(new GlobalMaxHead1d(Device.Default, 3), 2, 51, freeDims: new[] { 11 });
        GradientTests.Check(new AdaptivePools(Device.Default, 3), 2, 52);
    }
}
