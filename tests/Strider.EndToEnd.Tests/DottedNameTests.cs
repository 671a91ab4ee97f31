using Strider.Devices;
using Strider.EndToEnd.Tests.Onnx;
using Strider.IO;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// tools/reference/dotted_names.py's module, declared with its PyTorch module paths as layer names: features.0-2, the
/// residual block layer1.0 (conv1, bn1, conv2, bn2), and classifier.1 after classifier.0's Dropout.
/// </summary>
[Network, Input(3, 8, 8)]
[Conv(4, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu(Name = "features.2")]
[Conv(4, 3, Pad = 1, Bias = false, Name = "layer1.0.conv1"), BatchNorm(Name = "layer1.0.bn1"), Relu(Name = "layer1.0.relu")]
[Conv(4, 3, Pad = 1, Bias = false, Name = "layer1.0.conv2"), BatchNorm(Name = "layer1.0.bn2")]
[Add("layer1.0.bn2", "features.2", Name = "layer1.0.add"), Relu(Name = "layer1.0.relu2")]
[GlobalAvgPool(Name = "avgpool"), Flatten(Name = "flatten"), Dropout(0.2, Name = "classifier.0"), Dense(5, Name = "classifier.1")]
public partial class DottedNames;

/// <summary>A PyTorch state_dict with nested module names loads as it is, and Save writes the same names back.</summary>
public sealed class DottedNameTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-dotted-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Weights => AdaptivePoolTests.Reference("dotted_names.weights");

    private static float[] EvalOutput(DottedNames net, float[] input)
    {
        net.Training = false;
        using var x = Tensor<S3x8x8>.From(net.Device, input);
        return net.Forward(x).ToArray();
    }

    [Fact]
    public void A_pytorch_state_dict_with_module_paths_loads_without_renaming_and_matches_the_eval_output()
    {
        using var net = new DottedNames(Device.Default, 1);
        net.Load(Weights);
        var io = SafeTensorsFile.Read(AdaptivePoolTests.Reference("dotted_names.io"));
        var expected = io.GetFloats("y");
        var actual = EvalOutput(net, io.GetFloats("x"));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1.0, Math.Abs(expected[i])), $"y[{i}]: PyTorch {expected[i]:R}, Strider {actual[i]:R}");
    }

    [Fact]
    public void Save_writes_pytorchs_file_back_byte_for_byte_and_a_new_network_loads_it()
    {
        using var net = new DottedNames(Device.Default, 1);
        net.Load(Weights);
        string path = Path.Combine(_folder, "saved.safetensors");
        net.Save(path);
        // Same names (num_batches_tracked included, with PyTorch's counts), shapes, values and layout as the converter wrote.
        Assert.Equal(File.ReadAllBytes(Weights), File.ReadAllBytes(path));
        Assert.Equal([5L], SafeTensorsFile.Read(path).GetLongs("layer1.0.bn2.num_batches_tracked"));

        using var copy = new DottedNames(Device.Default, 2);
        copy.Load(path);
        var x = SafeTensorsFile.Read(AdaptivePoolTests.Reference("dotted_names.io")).GetFloats("x");
        Assert.Equal(EvalOutput(net, x), EvalOutput(copy, x));
    }

    [Fact]
    public void The_onnx_export_with_module_path_names_runs_in_onnx_runtime_with_the_same_output()
    {
        using var net = new DottedNames(Device.Default, 1);
        net.Load(Weights);
        net.Training = false;
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        OnnxExportTests.AssertSame(net, session, DottedNames.InputName, 1, 41);
        OnnxExportTests.AssertSame(net, session, DottedNames.InputName, 3, 42);
    }
}
