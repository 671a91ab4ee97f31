using System.Collections.Concurrent;
using System.Text.Json;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.IO;
using Strider.Runtime.Tests.Ilgpu;
using Strider.Runtime.Tests.Reference;

namespace Strider.Runtime.Tests.PyTorch;

/// <summary>
/// Every device against PyTorch 1.13's own outputs and autograd gradients, read from the fixtures
/// tools/reference/layer_ops.py wrote into Data/reference (no Python needed here). Each value is within
/// <see cref="Tolerance"/> relative: |got - torch| &lt;= 1e-5 max(|torch|, rms(torch over the tensor)), elementwise
/// (see <see cref="TestData.AssertClose"/>); NaN exactly where PyTorch has NaN. Derive and give a device.
/// </summary>
public abstract partial class PyTorchFixtureTests
{
    public const double Tolerance = 1e-5;

    private static readonly ConcurrentDictionary<string, SafeTensorsFile> s_files = new();

    protected abstract Device Device { get; }

    /// <summary>The fixture file Data/reference/<paramref name="name"/>.safetensors, read once.</summary>
    protected static SafeTensorsFile Fixture(string name) => s_files.GetOrAdd(name, n =>
        SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", "reference", n + ".safetensors")));

    /// <summary>The options of each case, from the file's "cases" metadata.</summary>
    protected static Dictionary<string, JsonElement> Cases(string file) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Fixture(file).Metadata["cases"])!;

    protected static TheoryData<string> CaseNames(string file) => new(Cases(file).Keys.Order());

    protected DeviceBuffer<float> Upload(float[] data)
    {
        var b = Device.Allocate<float>(data.Length);
        b.Upload(data);
        return b;
    }

    /// <summary>Within <see cref="Tolerance"/> of PyTorch, NaN where PyTorch has NaN.</summary>
    protected static void Matches(float[] torch, float[] got, string what)
    {
        Assert.True(torch.Length == got.Length, $"{what}: PyTorch has {torch.Length} values, the device {got.Length}.");
        for (int i = 0; i < torch.Length; i++)
            if (float.IsNaN(torch[i]) != float.IsNaN(got[i]))
                Assert.Fail($"{what}[{i}]: PyTorch gives {torch[i]:G9}, the device {got[i]:G9}.");
        TestData.AssertClose(torch.Select(v => float.IsNaN(v) ? 0f : v).ToArray(), got.Select(v => float.IsNaN(v) ? 0f : v).ToArray(), what, Tolerance);
    }

    /// <summary>Runs <paramref name="backward"/> into a gradient buffer twice: overwriting, then adding to ones (the accumulate path).</summary>
    protected void BothWays(float[] torch, Action<DeviceBuffer<float>, bool> backward, string what)
    {
        using var grad = Upload(Enumerable.Repeat(1f, torch.Length).ToArray());
        backward(grad, false);
        Matches(torch, grad.ToArray(), what);
        grad.Upload(Enumerable.Repeat(1f, torch.Length).ToArray());
        backward(grad, true);
        Matches(torch.Select(v => v + 1f).ToArray(), grad.ToArray(), what + " (accumulated onto ones)");
    }

    // ---- activations ----

    public static TheoryData<string> ActivationCases => CaseNames("activations");

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void Activation_matches_PyTorch(string name)
    {
        var file = Fixture("activations");
        var options = Cases("activations")[name];
        var f = Enum.Parse<Activation>(options.GetProperty("activation").GetString()!);
        float p0 = options.GetProperty("p0").GetSingle(), p1 = options.GetProperty("p1").GetSingle();
        float[] x = file.GetFloats(name + "/x");
        using var bx = Upload(x);
        using var by = Device.Allocate<float>(x.Length);
        Device.ActivationForward(f, x.Length, bx, by, p0, p1);
        Matches(file.GetFloats(name + "/y"), by.ToArray(), $"{name} forward");
        // Backward from PyTorch's y, so only the backward op is under test.
        using var ty = Upload(file.GetFloats(name + "/y"));
        using var dy = Upload(file.GetFloats(name + "/dy"));
        BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.ActivationBackward(f, x.Length, bx, ty, dy, dx, acc, p0, p1), $"{name} backward");
    }
}

// ---- PRelu ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> PReluCases => CaseNames("prelu");

    [Theory]
    [MemberData(nameof(PReluCases))]
    public void PRelu_matches_PyTorch(string name)
    {
        var file = Fixture("prelu");
        var options = Cases("prelu")[name];
        int n = options.GetProperty("n").GetInt32(), channels = options.GetProperty("channels").GetInt32(), inner = options.GetProperty("inner").GetInt32();
        using var x = Upload(file.GetFloats(name + "/x"));
        using var slope = Upload(file.GetFloats(name + "/slope"));
        using var y = Device.Allocate<float>(x.Length);
        Device.PReluForward(n, channels, inner, x, slope, y);
        Matches(file.GetFloats(name + "/y"), y.ToArray(), $"prelu {name} forward");
        using var dy = Upload(file.GetFloats(name + "/dy"));
        // The slope gradient accumulates (a parameter gradient), here onto ones; dx both ways.
        float[] dslopeTorch = file.GetFloats(name + "/dslope");
        using var dslope = Upload(Enumerable.Repeat(1f, channels).ToArray());
        BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.PReluBackward(n, channels, inner, x, slope, dy, dx, dslope, acc), $"prelu {name} backward data");
        Matches(dslopeTorch.Select(v => 2 * v + 1f).ToArray(), dslope.ToArray(), $"prelu {name} slope gradient (two backward calls onto ones)");
    }
}

// ---- adaptive and global pooling ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> PoolingCases => CaseNames("pooling");

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void Adaptive_pooling_matches_PyTorch(string name)
    {
        var file = Fixture("pooling");
        var o = Cases("pooling")[name];
        int n = o.GetProperty("n").GetInt32();
        var g = new AdaptivePoolGeometry(o.GetProperty("channels").GetInt32(), o.GetProperty("inH").GetInt32(), o.GetProperty("inW").GetInt32(),
            o.GetProperty("outH").GetInt32(), o.GetProperty("outW").GetInt32());
        using var x = Upload(file.GetFloats(name + "/x"));
        using var y = Device.Allocate<float>(n * g.OutputSize);
        using var dy = Upload(file.GetFloats(name + "/dy"));
        if (o.GetProperty("op").GetString() == "avg")
        {
            Device.AdaptiveAvgPoolForward(g, n, x, y);
            Matches(file.GetFloats(name + "/y"), y.ToArray(), $"{name} forward");
            BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.AdaptiveAvgPoolBackward(g, n, dy, dx, acc), $"{name} backward");
            return;
        }
        using var switches = Device.Allocate<int>(n * g.OutputSize);
        Device.AdaptiveMaxPoolForward(g, n, x, y, switches);
        Matches(file.GetFloats(name + "/y"), y.ToArray(), $"{name} forward");
        Assert.Equal(file.GetFloats(name + "/switches").Select(v => (int)v).ToArray(), switches.ToArray());
        BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.AdaptiveMaxPoolBackward(g, n, dy, switches, dx, acc), $"{name} backward");
    }
}

// ---- upsampling and pixel shuffle ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> ResamplingCases => CaseNames("resampling");

    [Theory]
    [MemberData(nameof(ResamplingCases))]
    public void Resampling_matches_PyTorch(string name)
    {
        var file = Fixture("resampling");
        var o = Cases("resampling")[name];
        int n = o.GetProperty("n").GetInt32(), channels = o.GetProperty("channels").GetInt32();
        float[] x = file.GetFloats(name + "/x"), torchY = file.GetFloats(name + "/y");
        using var bx = Upload(x);
        using var by = Device.Allocate<float>(torchY.Length);
        using var dy = Upload(file.GetFloats(name + "/dy"));
        if (o.GetProperty("op").GetString() == "pixel_shuffle")
        {
            int h = o.GetProperty("h").GetInt32(), w = o.GetProperty("w").GetInt32(), r = o.GetProperty("r").GetInt32();
            Device.PixelShuffleForward(n, channels, h, w, r, bx, by);
            Matches(torchY, by.ToArray(), $"{name} forward");
            BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.PixelShuffleBackward(n, channels, h, w, r, dy, dx, acc), $"{name} backward");
            return;
        }
        var g = new UpsampleGeometry(channels, o.GetProperty("inH").GetInt32(), o.GetProperty("inW").GetInt32(), o.GetProperty("outH").GetInt32(),
            o.GetProperty("outW").GetInt32(), o.GetProperty("mode").GetString() == "nearest" ? UpsampleMode.Nearest : UpsampleMode.Bilinear,
            o.GetProperty("alignCorners").GetBoolean());
        Device.UpsampleForward(g, n, bx, by);
        Matches(torchY, by.ToArray(), $"{name} forward");
        BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.UpsampleBackward(g, n, dy, dx, acc), $"{name} backward");
    }
}

// ---- broadcast add and multiply ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> BroadcastCases => CaseNames("broadcast");

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Broadcast_matches_PyTorch(string name)
    {
        var file = Fixture("broadcast");
        var o = Cases("broadcast")[name];
        var op = o.GetProperty("op").GetString() == "add" ? BroadcastOp.Add : BroadcastOp.Multiply;
        int n = o.GetProperty("n").GetInt32(), channels = o.GetProperty("channels").GetInt32(), inner = o.GetProperty("inner").GetInt32();
        using var full = Upload(file.GetFloats(name + "/full"));
        using var gate = Upload(file.GetFloats(name + "/gate"));
        using var y = Device.Allocate<float>(full.Length);
        Device.BroadcastForward(op, n, channels, inner, full, gate, y);
        Matches(file.GetFloats(name + "/y"), y.ToArray(), $"{name} forward");
        using var dy = Upload(file.GetFloats(name + "/dy"));
        BothWays(file.GetFloats(name + "/dfull"), (d, acc) => Device.BroadcastBackward(op, n, channels, inner, full, gate, dy, d, acc, null, false), $"{name} full operand's gradient");
        BothWays(file.GetFloats(name + "/dgate"), (d, acc) => Device.BroadcastBackward(op, n, channels, inner, full, gate, dy, null, false, d, acc), $"{name} broadcast operand's gradient");
    }
}

// ---- group and layer normalisation ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> NormalizationCases => CaseNames("normalization");

    [Theory]
    [MemberData(nameof(NormalizationCases))]
    public void Normalization_matches_PyTorch(string name)
    {
        var file = Fixture("normalization");
        var o = Cases("normalization")[name];
        bool layer = o.GetProperty("kind").GetString() == "layer", affine = o.GetProperty("affine").GetBoolean();
        int n = o.GetProperty("n").GetInt32(), channels = o.GetProperty("channels").GetInt32(), inner = o.GetProperty("inner").GetInt32();
        int groups = o.GetProperty("groups").GetInt32();
        float epsilon = o.GetProperty("epsilon").GetSingle();
        int sets = layer ? n * inner : n * groups;
        using var x = Upload(file.GetFloats(name + "/x"));
        using var gamma = affine ? Upload(file.GetFloats(name + "/gamma")) : null;
        using var beta = affine ? Upload(file.GetFloats(name + "/beta")) : null;
        using var y = Device.Allocate<float>(x.Length);
        using var mean = Device.Allocate<float>(sets);
        using var invStd = Device.Allocate<float>(sets);
        if (layer) Device.LayerNormForward(n, channels, inner, epsilon, x, gamma, beta, y, mean, invStd);
        else Device.GroupNormForward(n, channels, inner, groups, epsilon, x, gamma, beta, y, mean, invStd);
        Matches(file.GetFloats(name + "/y"), y.ToArray(), $"{name} forward");
        using var dy = Upload(file.GetFloats(name + "/dy"));
        using var dgamma = affine ? Upload(Enumerable.Repeat(1f, channels).ToArray()) : null;
        using var dbeta = affine ? Upload(Enumerable.Repeat(1f, channels).ToArray()) : null;
        BothWays(file.GetFloats(name + "/dx"), (dx, acc) =>
        {
            if (layer) Device.LayerNormBackward(n, channels, inner, x, dy, gamma, mean, invStd, dx, dgamma, dbeta, acc);
            else Device.GroupNormBackward(n, channels, inner, groups, x, dy, gamma, mean, invStd, dx, dgamma, dbeta, acc);
        }, $"{name} backward");
        if (!affine) return;
        // Two backward calls added onto ones.
        Matches(file.GetFloats(name + "/dgamma").Select(v => 2 * v + 1).ToArray(), dgamma!.ToArray(), $"{name} weight gradient");
        Matches(file.GetFloats(name + "/dbeta").Select(v => 2 * v + 1).ToArray(), dbeta!.ToArray(), $"{name} bias gradient");
    }
}

// ---- grouped and depthwise convolution ----

public abstract partial class PyTorchFixtureTests
{
    public static TheoryData<string> ConvolutionCases => CaseNames("convolution");

    /// <summary>
    /// A convolution: y = conv(x, w) + b, dx by backward data, dw and db by backward weights. A transposed one (cases
    /// marked so) is the backward-data pass of the geometry from its output to its input: y = convT(x, w) + b, its dx a
    /// forward pass of dy, its dw the weight gradient with the roles of input and output gradient swapped.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Grouped_convolution_matches_PyTorch(string name)
    {
        var file = Fixture("convolution");
        var o = Cases("convolution")[name];
        int Get(string key) => o.GetProperty(key).GetInt32();
        int n = Get("n");
        var g = new ConvGeometry(Get("inChannels"), Get("inH"), Get("inW"), Get("outChannels"), Get("outH"), Get("outW"), Get("kernelH"), Get("kernelW"),
            Get("stride"), Get("stride"), Get("padH"), Get("padW"), Get("dilation"), Get("dilation"), Get("groups"));
        float[] torchY = file.GetFloats(name + "/y");
        using var x = Upload(file.GetFloats(name + "/x"));
        using var w = Upload(file.GetFloats(name + "/w"));
        using var b = Upload(file.GetFloats(name + "/b"));
        using var dy = Upload(file.GetFloats(name + "/dy"));
        using var y = Device.Allocate<float>(torchY.Length);
        using var dw = Upload(Enumerable.Repeat(1f, (int)g.WeightSize).ToArray());
        using var db = Upload(Enumerable.Repeat(1f, file.GetFloats(name + "/b").Length).ToArray());
        if (!o.GetProperty("transposed").GetBoolean())
        {
            Device.ConvForward(g, n, x, w, b, y);
            Matches(torchY, y.ToArray(), $"{name} forward");
            BothWays(file.GetFloats(name + "/dx"), (dx, acc) => Device.ConvBackwardData(g, n, dy, w, dx, acc), $"{name} backward data");
            Device.ConvBackwardWeights(g, n, x, dy, dw, db);
        }
        else
        {
            Device.ConvBackwardData(g, n, x, w, y, false);
            Device.AddBias(n, g.InChannels, g.InH * g.InW, b, y);
            Matches(torchY, y.ToArray(), $"{name} forward");
            BothWays(file.GetFloats(name + "/dx"), (dx, acc) =>
            {
                if (acc)
                {
                    using var t = Device.Allocate<float>(dx.Length);
                    Device.ConvForward(g, n, dy, w, null, t);
                    Device.Add(dx.Length, dx, t, dx);
                }
                else Device.ConvForward(g, n, dy, w, null, dx);
            }, $"{name} backward data");
            Device.ConvBackwardWeights(g, n, dy, x, dw, null);
            Device.BiasBackward(n, g.InChannels, g.InH * g.InW, dy, db);
        }
        // Parameter gradients accumulate: here onto ones.
        Matches(file.GetFloats(name + "/dw").Select(v => v + 1).ToArray(), dw.ToArray(), $"{name} weight gradient");
        Matches(file.GetFloats(name + "/db").Select(v => v + 1).ToArray(), db.ToArray(), $"{name} bias gradient");
    }
}

public sealed class CpuPyTorchFixtureTests : PyTorchFixtureTests, IDisposable
{
    private readonly CpuDevice _device = new();

    protected override Device Device => _device;

    public void Dispose() => _device.Dispose();
}

/// <summary>The test reference itself against PyTorch, so the reference every other test trusts is checked too.</summary>
public sealed class ReferencePyTorchFixtureTests : PyTorchFixtureTests
{
    protected override Device Device { get; } = new ReferenceDevice();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuPyTorchFixtureTests(IlgpuFixture fixture) : PyTorchFixtureTests
{
    protected override Device Device => fixture.Device;
}
