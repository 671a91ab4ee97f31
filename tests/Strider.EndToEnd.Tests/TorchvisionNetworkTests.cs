using Strider.Benchmarks;
using Strider.Devices.Cpu;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// The benchmarks' flat declarations of torchvision's resnet18 and mobilenet_v2 (W5-W7; the file is compiled here too)
/// have torchvision's parameters: the same number of tensors and values, the same BatchNorm running statistics, and
/// torchvision's names with '_' for '.' and shapes at spot checks (counts from torchvision 0.14's models).
/// </summary>
public class TorchvisionNetworkTests
{
    private static void AssertLayout(INetwork net, int tensors, long values, int buffers, long bufferValues, (string Name, int[] Shape)[] spots)
    {
        Assert.Equal(tensors, net.Parameters.Count);
        Assert.Equal(values, net.Parameters.Sum(p => p.Length));
        Assert.Equal(buffers, net.Buffers.Count);
        Assert.Equal(bufferValues, net.Buffers.Sum(p => p.Length));
        foreach (var (name, shape) in spots)
        {
            var p = net.Parameters.SingleOrDefault(p => p.Name == name);
            Assert.True(p is not null, $"No parameter '{name}'.");
            Assert.Equal(shape, p!.Shape);
        }
    }

    [Fact]
    public void ResNet18_has_torchvisions_parameters()
    {
        using var device = new CpuDevice(1);
        using var net = new TorchResNet18(device, seed: 1);
        AssertLayout(net, 62, 11_689_512, 40, 9_600,
        [
            ("conv1.weight", [64, 3, 7, 7]),
            ("layer2_0_downsample_0.weight", [128, 64, 1, 1]),
            ("fc.weight", [1000, 512]),
        ]);
    }

    [Fact]
    public void MobileNetV2_has_torchvisions_parameters()
    {
        using var device = new CpuDevice(1);
        using var net = new TorchMobileNetV2(device, seed: 1);
        AssertLayout(net, 158, 3_504_872, 104, 34_112,
        [
            ("features_1_conv_1.weight", [16, 32, 1, 1]),
            ("features_2_conv_1_0.weight", [96, 1, 3, 3]),
            ("features_17_conv_3.bias", [320]),
            ("classifier_1.weight", [1000, 1280]),
        ]);
    }
}
