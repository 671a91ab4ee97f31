using Strider.Devices;
using Strider.IO;
using Strider.Samples.Zoo;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// samples/Zoo's torchvision models against torchvision itself (tools/reference/zoo.py), at 64x64 and batch 2: the
/// deterministic weights are regenerated here, saved, loaded back by their state_dict names (the script loaded the same
/// file into torchvision's model with strict=True), and the eval output must match within 1e-4 of max(1, |PyTorch's|);
/// for resnet18 and mobilenet_v2 also the training-mode output, and for resnet18 one training step's input gradient and a
/// summary of every weight gradient.
/// </summary>
public sealed class ZooTests : IDisposable
{
    private const int Batch = 2;
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-zoo-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Input<TIn>() where TIn : IShape
    {
        int size = Batch;
        foreach (int d in TIn.Dims) size *= d;
        return DeterministicWeights.Uniform("input", size);
    }

    /// <summary>Writes the deterministic weights through Save and loads them back by name, as a user's converted file loads.</summary>
    private void LoadDeterministicWeights(INetwork net, string model)
    {
        DeterministicWeights.Fill(net);
        string path = Path.Combine(_folder, model + ".safetensors");
        SafeTensors.Save(net, path);
        foreach (var p in net.Parameters) p.Value.Upload(new float[p.Length]);
        SafeTensors.Load(net, path);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1.0, Math.Abs(expected[i]))))
                Assert.Fail($"{what}[{i}] of {expected.Length}: PyTorch {expected[i]:R}, Strider {actual[i]:R}");
    }

    /// <summary>The fixture's [sum, sum |g|, norm, g at 0, n/3, 2n/3, n-1] of each parameter gradient against Strider's.</summary>
    private static void AssertGradientSummaries(INetwork net, SafeTensorsFile reference, string model)
    {
        var failures = new List<string>();
        var names = reference.Entries.Keys.Where(k => k.StartsWith("grad/", StringComparison.Ordinal)).Select(k => k[5..]).Order().ToArray();
        Assert.Equal(names, net.Parameters.Select(p => p.Name).Order().ToArray());
        foreach (var p in net.Parameters)
            AssertSummary(reference.GetFloats("grad/" + p.Name), p.Gradient.ToArray(), $"{model} grad/{p.Name}", failures);
        if (failures.Count > 0)
            Assert.Fail($"{failures.Count} gradient summaries differ, in parameter order:\n" + string.Join("\n", failures.Take(12)));
    }

    /// <summary>One gradient <paramref name="g"/> against zoo.py's [sum, sum |g|, norm, g at 0, n/3, 2n/3, n-1] of it.</summary>
    private static void AssertSummary(float[] expected, float[] g, string what, List<string> failures)
    {
        double sum = 0, abs = 0, squares = 0;
        foreach (float v in g) { sum += v; abs += Math.Abs(v); squares += (double)v * v; }
        double norm = Math.Sqrt(squares);
        if (expected[2] < 1e-9)
        {
            // Zero in exact arithmetic (float64 leaves ~1e-13): a shift the next training-mode BatchNorm removes, or a
            // branch behind a zero BatchNorm weight. float32 cancellation leaves ~1e-5 (PyTorch's own float32: 5e-5).
            Within(0, norm, 1e-3, what + " norm (zero in exact arithmetic)", failures);
            return;
        }
        // A sum is as exact as its terms' magnitudes allow; single entries are judged against the gradient's typical size.
        Within(expected[0], sum, 1e-4 * Math.Max(1.0, expected[1]), what + " sum", failures);
        Within(expected[1], abs, 1e-4 * Math.Max(1.0, expected[1]), what + " sum |g|", failures);
        Within(expected[2], norm, 1e-4 * Math.Max(1.0, expected[2]), what + " norm", failures);
        int n = g.Length;
        double typical = Math.Max(1.0, expected[2] / Math.Sqrt(n));
        int[] picks = [0, n / 3, 2 * n / 3, n - 1];
        for (int k = 0; k < picks.Length; k++)
            Within(expected[3 + k], g[picks[k]], 1e-4 * Math.Max(typical, Math.Abs(expected[3 + k])), $"{what}[{picks[k]}]", failures);
    }

    private static void Within(double expected, double actual, double tolerance, string what, List<string> failures)
    {
        if (!(Math.Abs(expected - actual) <= tolerance))
            failures.Add($"{what}: PyTorch {expected:R}, Strider {actual:R} (tolerance {tolerance:G3})");
    }

    /// <summary>Which step's gradients a fixture holds (tools/reference/zoo.py).</summary>
    private enum Step { None, Training }

    /// <summary>
    /// The eval output; then, for Training, after <paramref name="beforeTraining"/>, the training-mode output and the input
    /// and weight gradients of loss = sum(output * dy).
    /// </summary>
    private void MatchesTorchvision<TIn, TOut>(INetwork<TIn, TOut> net, string model, Step step, Action? beforeTraining = null) where TIn : IShape where TOut : IShape
    {
        LoadDeterministicWeights(net, model);
        var reference = SafeTensorsFile.Read(AdaptivePoolTests.Reference("zoo_" + model));
        var x = Input<TIn>();
        Assert.Equal(reference.GetFloats("x_head"), x[..8]);
        using var input = Tensor<TIn>.From(net.Device, x);
        net.Training = false;
        AssertClose(reference.GetFloats("y"), net.Forward(input).ToArray(), model + " eval y");
        if (step == Step.None) return;

        beforeTraining?.Invoke();
        net.Training = true;
        net.ZeroGrad();
        var y = net.Forward(input);
        AssertClose(reference.GetFloats("train_y"), y.ToArray(), model + " training y");
        using var dy = Tensor<TOut>.From(net.Device, DeterministicWeights.Uniform("dy", y.ToArray().Length));
        var dx = net.Backward(dy).ToArray();
        AssertGradientSummaries(net, reference, model);
        if (reference.Entries.ContainsKey("dx_summary"))
        {
            var failures = new List<string>();
            AssertSummary(reference.GetFloats("dx_summary"), dx, model + " dx", failures);
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        else AssertClose(reference.GetFloats("dx"), dx, model + " dx");
    }

    [Fact]
    public void Resnet18_matches_torchvision_in_eval_and_in_one_training_step()
    {
        using var net = new ResNet18At64(Device.Default, 1);
        MatchesTorchvision(net, "resnet18", Step.Training);
    }

    [Fact]
    public void Mobilenet_v2_matches_torchvision_in_eval_and_in_one_training_step()
    {
        // Seed 1 and a fresh network: the first training step's Dropout mask is the one zoo.py draws. The training step
        // runs with each residual block's last BatchNorm weight times 0.1, as zoo.py's: with the plain weights the
        // training-mode gradients are ill-conditioned (zoo.py's doc gives the numbers).
        using var net = new MobileNetV2At64(Device.Default, 1);
        MatchesTorchvision(net, "mobilenet_v2", Step.Training, () => ScaleResidualGammas(net, 0f));
    }

    /// <summary>zoo.py's scale_residual_gammas: mobilenet_v2's residual blocks (stride 1, as many channels out as in).</summary>
    private static void ScaleResidualGammas(INetwork net, float gamma)
    {
        int[] residual = [3, 5, 6, 8, 9, 10, 12, 13, 15, 16];
        foreach (var p in net.Parameters)
            if (residual.Any(i => p.Name == $"features.{i}.conv.3.weight"))
            {
                var values = p.Value.ToArray();
                for (int j = 0; j < values.Length; j++) values[j] *= gamma;
                p.Value.Upload(values);
            }
    }

    [Fact]
    public void Vgg11_bn_matches_torchvision_in_eval()
    {
        // 530 MB of weights, at 32x32: the adaptive pool repeats the last 1x1 plane to 7x7 as torchvision's does.
        using var net = new Vgg11BnAt32(Device.Default, 1);
        MatchesTorchvision(net, "vgg11_bn", Step.None);
    }

    [Fact]
    public void Resnet50_matches_torchvision_in_eval()
    {
        using var net = new ResNet50At64(Device.Default, 1);
        MatchesTorchvision(net, "resnet50", Step.None);
    }

    [Fact]
    public void Squeezenet1_1_matches_torchvision_in_eval()
    {
        using var net = new SqueezeNet11At64(Device.Default, 1);
        MatchesTorchvision(net, "squeezenet1_1", Step.None);
    }

    [Fact]
    public void Shufflenet_v2_x1_0_matches_torchvision_in_eval()
    {
        using var net = new ShuffleNetV2At64(Device.Default, 1);
        MatchesTorchvision(net, "shufflenet_v2_x1_0", Step.None);
    }

    [Fact]
    public void Mobilenet_v3_small_matches_torchvision_in_eval()
    {
        using var net = new MobileNetV3SmallAt64(Device.Default, 1);
        MatchesTorchvision(net, "mobilenet_v3_small", Step.None);
    }

    [Fact]
    public void Efficientnet_b0_matches_torchvision_in_eval()
    {
        using var net = new EfficientNetB0At64(Device.Default, 1);
        MatchesTorchvision(net, "efficientnet_b0", Step.None);
    }

    [Fact]
    public void Densenet121_matches_torchvision_in_eval()
    {
        using var net = new DenseNet121At64(Device.Default, 1);
        MatchesTorchvision(net, "densenet121", Step.None);
    }

    [Fact]
    public void Every_model_has_torchvisions_parameter_count()
    {
        // torchvision 0.14's sum(p.numel() for p in model.parameters()); unet: the 2015 paper's, no torchvision model.
        var expected = new Dictionary<string, long>
        {
            ["resnet18"] = 11_689_512, ["resnet50"] = 25_557_032, ["mobilenet_v2"] = 3_504_872, ["squeezenet1_1"] = 1_235_496,
            ["vgg11_bn"] = 132_868_840, ["shufflenet_v2_x1_0"] = 2_278_604, ["mobilenet_v3_small"] = 2_542_856,
            ["efficientnet_b0"] = 5_288_548, ["densenet121"] = 7_978_856, ["unet"] = 31_030_658,
        };
        Assert.Equal(expected, Models.All.ToDictionary(m => m.Name, m => m.ParameterCount));
    }

    [Fact]
    public void The_original_unet_states_its_valid_sizes_572_among_them_giving_388()
    {
        Assert.Contains("Valid input sizes on axis H: 188 + 16n (n >= 0)", UNet.Summary, StringComparison.Ordinal);
        Assert.Contains("Valid input sizes on axis W: 188 + 16n (n >= 0)", UNet.Summary, StringComparison.Ordinal);
        Assert.Equal(0, (572 - 188) % 16);
        // The crops that make the skips meet the up-convolutions: deepest first, the same at every valid size.
        Assert.Matches(@"\nskip4 +Crop 4 ", UNet.Summary);
        Assert.Matches(@"\nskip1 +Crop 88 ", UNet.Summary);
    }
}

/// <summary>
/// Each zoo model's ExportOnnx, run by ONNX Runtime on its deterministic weights at 64x64 (vgg11_bn: 32), gives Strider's
/// inference output; the U-Net's too, at 188x188 on its own initialisation.
/// </summary>
public sealed class ZooOnnxTests
{
    private static void RunsInOnnxRuntime<TIn, TOut>(INetwork<TIn, TOut> net, byte[] model, string inputName) where TIn : IShape where TOut : IShape
    {
        net.Training = false;
        using var session = Onnx.OnnxExportTests.Session(model);
        Onnx.OnnxExportTests.AssertSame(net, session, inputName, 1, 14);
    }

    [Fact]
    public void Resnet18_exports()
    {
        using var net = new ResNet18At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), ResNet18At64.InputName);
    }

    [Fact]
    public void Resnet50_exports()
    {
        using var net = new ResNet50At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), ResNet50At64.InputName);
    }

    [Fact]
    public void Mobilenet_v2_exports()
    {
        using var net = new MobileNetV2At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), MobileNetV2At64.InputName);
    }

    [Fact]
    public void Squeezenet1_1_exports()
    {
        // At 64 (STR0001 suppressed) features.0 leaves the last row and column unread: the graph slices them off first, as Strider's Forward skips them.
        using var net = new SqueezeNet11At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        var model = net.ExportOnnx();
        Assert.Contains("features.0/unread", System.Text.Encoding.ASCII.GetString(model), StringComparison.Ordinal);
        RunsInOnnxRuntime(net, model, SqueezeNet11At64.InputName);
    }

    [Fact]
    public void Shufflenet_v2_x1_0_exports()
    {
        using var net = new ShuffleNetV2At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), ShuffleNetV2At64.InputName);
    }

    [Fact]
    public void Mobilenet_v3_small_exports()
    {
        using var net = new MobileNetV3SmallAt64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), MobileNetV3SmallAt64.InputName);
    }

    [Fact]
    public void Efficientnet_b0_exports()
    {
        using var net = new EfficientNetB0At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), EfficientNetB0At64.InputName);
    }

    [Fact]
    public void Densenet121_exports()
    {
        using var net = new DenseNet121At64(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), DenseNet121At64.InputName);
    }

    [Fact]
    public void Unet_exports_at_its_smallest_valid_size()
    {
        // 188x188, the first of the analyzer's 188 + 16n, gives 2x4x4. The constructor's He initialisation, biases
        // shifted off 0 by Prepare, gives outputs of mean |y| 0.67 (max 1.9), near the tolerance's floor of 1, where
        // DeterministicWeights' variance 1/fan-in through 23 ReLU convs leaves 0.10 (max 0.23).
        using var net = new UNet(Device.Default, 1);
        Onnx.OnnxExportTests.Prepare(net, 31, 188, 188);
        using var session = Onnx.OnnxExportTests.Session(net.ExportOnnx());
        Onnx.OnnxExportTests.AssertSame(net, session, UNet.InputName, 1, 32, 188, 188);
    }

    [Fact]
    public void Vgg11_bn_exports()
    {
        using var net = new Vgg11BnAt32(Device.Default, 1);
        DeterministicWeights.Fill(net);
        RunsInOnnxRuntime(net, net.ExportOnnx(), Vgg11BnAt32.InputName);
    }
}
