using Microsoft.ML.OnnxRuntime;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Onnx;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.Onnx.OnnxRuntimeHarness;

namespace Strider.Runtime.Tests.Onnx;

/// <summary>
/// Nets assembled by hand from Strider's device ops and Parameters (as generated code does), exported with the
/// parameters themselves, and compared with ONNX Runtime on the same input: on the fast CPU device and the reference one.
/// </summary>
public sealed class OnnxDeviceTests
{
    public static TheoryData<string> Devices => new() { "cpu", "reference" };

    private static Device Create(string name) => name == "cpu" ? new CpuDevice(2) : new ReferenceDevice();

    private static Parameter Param(Device device, string name, int seed, params int[] shape)
    {
        var p = new Parameter(device, name, shape);
        p.Value.Upload(Nchw.Values(seed, (int)p.Length, -0.3f, 0.3f));
        return p;
    }

    private static DeviceBuffer<float> Upload(Device device, float[] data)
    {
        var buffer = device.Allocate<float>(data.Length);
        buffer.Upload(data);
        return buffer;
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void LeNet_forward_on_the_device_matches_its_export(string deviceName)
    {
        using var device = Create(deviceName);
        const int n = 2;
        using var w1 = Param(device, "conv1.weight", 1, 6, 1, 5, 5); using var b1 = Param(device, "conv1.bias", 2, 6);
        using var w2 = Param(device, "conv2.weight", 3, 8, 6, 5, 5); using var b2 = Param(device, "conv2.bias", 4, 8);
        using var w3 = Param(device, "conv3.weight", 5, 12, 8, 4, 4); using var b3 = Param(device, "conv3.bias", 6, 12);
        using var w4 = Param(device, "conv4.weight", 7, 10, 12, 1, 1); using var b4 = Param(device, "conv4.bias", 8, 10);
        var x = Nchw.Random(9, n, 1, 28, 28, 0, 1);

        var g1 = new ConvGeometry(1, 28, 28, 6, 24, 24, 5, 5, 1, 1, 0, 0, 1, 1);
        var p1 = new PoolGeometry(6, 24, 24, 12, 12, 2, 2, 2, 2, 0, 0, 1, 1);
        var g2 = new ConvGeometry(6, 12, 12, 8, 8, 8, 5, 5, 1, 1, 0, 0, 1, 1);
        var p2 = new PoolGeometry(8, 8, 8, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1);
        var g3 = new ConvGeometry(8, 4, 4, 12, 1, 1, 4, 4, 1, 1, 0, 0, 1, 1);
        var g4 = new ConvGeometry(12, 1, 1, 10, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1);
        using var bx = Upload(device, x.Data);
        using var a1 = device.Allocate<float>(n * g1.OutputSize); using var a2 = device.Allocate<float>(n * p1.OutputSize);
        using var a3 = device.Allocate<float>(n * g2.OutputSize); using var a4 = device.Allocate<float>(n * p2.OutputSize);
        using var a5 = device.Allocate<float>(n * g3.OutputSize); using var a6 = device.Allocate<float>(n * g3.OutputSize);
        using var a7 = device.Allocate<float>(n * g4.OutputSize); using var a8 = device.Allocate<float>(n * g4.OutputSize);
        device.ConvForward(g1, n, bx, w1.Value, b1.Value, a1);
        device.MaxPoolForward(p1, n, a1, a2, null);
        device.ConvForward(g2, n, a2, w2.Value, b2.Value, a3);
        device.MaxPoolForward(p2, n, a3, a4, null);
        device.ConvForward(g3, n, a4, w3.Value, b3.Value, a5);
        device.ActivationForward(Activation.Relu, a5.Length, a5, a6);
        device.ConvForward(g4, n, a6, w4.Value, b4.Value, a7);
        device.SoftmaxForward(false, n, 10, 1, a7, a8);

        var b = new OnnxGraphBuilder("LeNet");
        string h = b.AddInput("input", OnnxDim.Of(Dim.Any, "batch"), 1, 28, 28);
        h = b.Conv(h, "conv1", w1, b1);
        h = b.MaxPool(h, "pool1", new[] { 2, 2 }, strides: new[] { 2, 2 });
        h = b.Conv(h, "conv2", w2, b2);
        h = b.MaxPool(h, "pool2", new[] { 2, 2 }, strides: new[] { 2, 2 });
        h = b.Relu(b.Conv(h, "conv3", w3, b3), "relu3");
        h = b.Softmax(b.Conv(h, "conv4", w4, b4), "softmax");
        b.AddOutput(h, "output", OnnxDim.Symbolic("batch"), 10, 1, 1);

        AssertOutput(new Nchw(a8.ToArray(), n, 10, 1, 1), Run(b, x));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void UNet_forward_on_the_device_matches_its_export_at_two_free_sizes(string deviceName)
    {
        using var device = Create(deviceName);
        const int n = 2;
        using var e1 = Param(device, "enc1.weight", 10, 4, 2, 3, 3); using var e1b = Param(device, "enc1.bias", 11, 4);
        using var e2 = Param(device, "enc2.weight", 12, 6, 4, 3, 3); using var e2b = Param(device, "enc2.bias", 13, 6);
        using var up = Param(device, "up.weight", 14, 6, 4, 2, 2); using var upb = Param(device, "up.bias", 15, 4);
        using var head = Param(device, "head.weight", 16, 1, 4, 1, 1); using var headb = Param(device, "head.bias", 17, 1);

        var b = new OnnxGraphBuilder("UNet");
        string x = b.AddInput("input", OnnxDim.Symbolic("batch"), 2, OnnxDim.Of(Dim.Any, "height"), OnnxDim.Of(Dim.Any, "width"));
        string c1 = b.Relu(b.Conv(x, "enc1", e1, e1b, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 1 }), "relu1");
        string pooled = b.MaxPool(c1, "pool1", new[] { 2, 2 }, strides: new[] { 2, 2 });
        string c2 = b.Relu(b.Conv(pooled, "enc2", e2, e2b, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 1 }), "relu2");
        string d1 = b.ConvTranspose(c2, "up", up, upb, strides: new[] { 2, 2 });
        string y = b.Conv(b.Add(new[] { c1, d1 }, "skip"), "head", head, headb);
        b.AddOutput(y, "output", OnnxDim.Symbolic("batch"), 1, OnnxDim.Unknown, OnnxDim.Unknown);
        using var session = new InferenceSession(b.ToBytes());

        foreach (var (h, w, seed) in new[] { (8, 8, 20), (10, 14, 21) })
        {
            var input = Nchw.Random(seed, n, 2, h, w);
            var g1 = new ConvGeometry(2, h, w, 4, h, w, 3, 3, 1, 1, 1, 1, 1, 1);
            var p1 = new PoolGeometry(4, h, w, h / 2, w / 2, 2, 2, 2, 2, 0, 0, 1, 1);
            var g2 = new ConvGeometry(4, h / 2, w / 2, 6, h / 2, w / 2, 3, 3, 1, 1, 1, 1, 1, 1);
            // The transposed conv is the backward-data pass of the conv mapping its output (4 x h x w) back to its input.
            var gUp = new ConvGeometry(4, h, w, 6, h / 2, w / 2, 2, 2, 2, 2, 0, 0, 1, 1);
            var gHead = new ConvGeometry(4, h, w, 1, h, w, 1, 1, 1, 1, 0, 0, 1, 1);
            using var bx = Upload(device, input.Data);
            using var a1 = device.Allocate<float>(n * g1.OutputSize); using var r1 = device.Allocate<float>(n * g1.OutputSize);
            using var a2 = device.Allocate<float>(n * p1.OutputSize);
            using var a3 = device.Allocate<float>(n * g2.OutputSize); using var r3 = device.Allocate<float>(n * g2.OutputSize);
            using var a4 = device.Allocate<float>(n * g1.OutputSize); using var a5 = device.Allocate<float>(n * g1.OutputSize);
            using var a6 = device.Allocate<float>(n * gHead.OutputSize);
            device.ConvForward(g1, n, bx, e1.Value, e1b.Value, a1);
            device.ActivationForward(Activation.Relu, a1.Length, a1, r1);
            device.MaxPoolForward(p1, n, r1, a2, null);
            device.ConvForward(g2, n, a2, e2.Value, e2b.Value, a3);
            device.ActivationForward(Activation.Relu, a3.Length, a3, r3);
            device.ConvBackwardData(gUp, n, r3, up.Value, a4, accumulate: false);
            device.AddBias(n, 4, h * w, upb.Value, a4);
            device.Add(a5.Length, r1, a4, a5);
            device.ConvForward(gHead, n, a5, head.Value, headb.Value, a6);

            AssertOutput(new Nchw(a6.ToArray(), n, 1, h, w), Run(session, ("input", input.Data, input.Dims)));
        }
    }
}
