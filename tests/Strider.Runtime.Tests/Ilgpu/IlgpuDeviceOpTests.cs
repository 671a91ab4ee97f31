using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>The shared device op suite against the reference, run on ILGPU's CPU simulator.</summary>
// Most of the runtime suite's time: every op, simulated thread by thread (minutes); CpuDeviceOpTests runs the same cases fast.
[Trait("Speed", "Slow")]
public sealed class IlgpuDeviceOpTests : DeviceOpTests
{
    protected override Device CreateDevice() => IlgpuDevice.CreateCpuSimulator();
}
