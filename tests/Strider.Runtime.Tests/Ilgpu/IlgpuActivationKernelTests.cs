using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>The ILGPU device loads one kernel per activation struct and direction, on first use, and reuses it.</summary>
public sealed class IlgpuActivationKernelTests
{
    [Fact]
    public void Each_activation_kernel_loads_once_per_device_and_is_reused()
    {
        using var device = IlgpuDevice.CreateCpuSimulator();
        using var x = device.Allocate<float>(3);
        using var y = device.Allocate<float>(3);
        x.Upload(new[] { -1f, 0.5f, 2f });
        Assert.Equal(0, device.LoadedActivationKernels);

        device.ActivationForward(Activation.Relu, 3, x, y);
        device.ActivationForward(Activation.Relu, 3, x, y);
        Assert.Equal(1, device.LoadedActivationKernels);
        Assert.Equal(new[] { 0f, 0.5f, 2f }, y.ToArray());

        device.ActivationForward(Activation.Clip, 3, x, y, 0f, 1f);
        Assert.Equal(new[] { 0f, 0.5f, 1f }, y.ToArray());
        device.ActivationBackward(Activation.Relu, 3, x, y, x, y, accumulate: false);
        device.ActivationBackward(Activation.Relu, 3, x, y, x, y, accumulate: false);
        Assert.Equal(3, device.LoadedActivationKernels);
        Assert.Equal(new[] { 0f, 0.5f, 2f }, y.ToArray());
    }
}
