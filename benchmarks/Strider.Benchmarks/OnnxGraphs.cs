using Strider.Onnx;

namespace Strider.Benchmarks;

/// <summary>
/// The W1-W4 networks as ONNX graphs built from a Strider network's parameters by name, so ONNX Runtime runs the
/// same weights. Stands in for the generated ExportOnnx until that lands; the layer lists mirror Networks.cs.
/// </summary>
public static class OnnxGraphs
{
    private static OnnxTensor Find(INetwork net, string name) =>
        net.Parameters.Concat(net.Buffers).FirstOrDefault(p => p.Name == name) is { } p
            ? OnnxTensor.From(p)
            : throw new ArgumentException($"The network has no parameter or buffer named '{name}'; it has {string.Join(", ", net.Parameters.Concat(net.Buffers).Select(q => q.Name))}.");

    /// <summary>LeNet: conv1, pool, conv2, pool, conv3, relu, conv4, softmax; H and W symbolic.</summary>
    public static byte[] LeNet(INetwork net)
    {
        var b = new OnnxGraphBuilder("LeNet");
        string h = b.AddInput("input", OnnxDim.Symbolic("batch"), 1, OnnxDim.Symbolic("height"), OnnxDim.Symbolic("width"));
        h = b.Conv(h, "conv1", Find(net, "conv1.weight"), Find(net, "conv1.bias"));
        h = b.MaxPool(h, "pool1", [2, 2], strides: [2, 2]);
        h = b.Conv(h, "conv2", Find(net, "conv2.weight"), Find(net, "conv2.bias"));
        h = b.MaxPool(h, "pool2", [2, 2], strides: [2, 2]);
        h = b.Relu(b.Conv(h, "conv3", Find(net, "conv3.weight"), Find(net, "conv3.bias")), "relu3");
        h = b.Softmax(b.Conv(h, "conv4", Find(net, "conv4.weight"), Find(net, "conv4.bias")), "softmax");
        b.AddOutput(h, "output", OnnxDim.Symbolic("batch"), 10, OnnxDim.Symbolic("out_height"), OnnxDim.Symbolic("out_width"));
        return b.ToBytes();
    }

    /// <summary>The denoising U-net in inference mode (BatchNorm on running statistics, Dropout the identity).</summary>
    public static byte[] Ddae(INetwork net)
    {
        var b = new OnnxGraphBuilder("Ddae");
        string noisy = b.AddInput("noisy", OnnxDim.Symbolic("batch"), 1, OnnxDim.Symbolic("height"), OnnxDim.Symbolic("width"));
        string Bn(string x, string bn) =>
            b.BatchNormalization(x, bn, Find(net, bn + ".weight"), Find(net, bn + ".bias"), Find(net, bn + ".running_mean"), Find(net, bn + ".running_var"));
        string Down(string x, string conv, string bn) =>
            b.Relu(Bn(b.Conv(x, conv, Find(net, conv + ".weight"), Find(net, conv + ".bias"), strides: [2, 2]), bn), conv + "_relu");
        string Up(string x, string deconv, string bn) =>
            Bn(b.ConvTranspose(x, deconv, Find(net, deconv + ".weight"), Find(net, deconv + ".bias"), strides: [2, 2]), bn);
        string c12 = Down(Down(noisy, "conv1", "bn1"), "conv2", "bn2");
        string h = Down(Down(c12, "conv3", "bn3"), "conv4", "bn4");
        h = b.Relu(Up(h, "deconv1", "bn5"), "deconv1_relu");
        string d12 = b.Relu(Up(h, "deconv2", "bn6"), "deconv2_relu");
        h = b.Add([c12, d12], "add1");
        h = b.Relu(Up(h, "deconv3", "bn7"), "deconv3_relu");
        string d34 = b.Softsign(Up(h, "deconv4", "bn8"), "d34");
        h = b.Add([noisy, d34], "add2");
        b.AddOutput(h, "output", OnnxDim.Symbolic("batch"), 1, OnnxDim.Symbolic("height"), OnnxDim.Symbolic("width"));
        return b.ToBytes();
    }
}
