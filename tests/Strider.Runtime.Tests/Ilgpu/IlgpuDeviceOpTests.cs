using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>The shared device op suite against the reference, run on ILGPU's CPU simulator.</summary>
public sealed class IlgpuDeviceOpTests : DeviceOpTests
{
    protected override Device CreateDevice() => IlgpuDevice.CreateCpuSimulator();
}
