using Strider.Devices.Cpu;

namespace Strider.EndToEnd.Tests;

public sealed class DeviceNameTests
{
    /// <summary>Two CPU devices were both 'cpu': "the input tensor is on device 'cpu' but ReluLeNet runs on 'cpu'".</summary>
    [Fact]
    public void Input_on_another_CPU_device_is_reported_with_two_different_names()
    {
        using var netDevice = new CpuDevice(1);
        using var other = new CpuDevice(1);
        using var net = new ReluLeNet(netDevice, 1);
        using var x = Tensor<S1x28x28>.From(other, new float[28 * 28]);
        var message = Assert.Throws<ArgumentException>(() => net.Forward(x)).Message;
        Assert.NotEqual(other.Name, netDevice.Name);
        Assert.Contains($"'{other.Name}'", message);
        Assert.Contains($"'{netDevice.Name}'", message);
    }
}
