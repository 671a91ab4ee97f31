using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>
/// The shared device op suite against the reference, run on ILGPU's CPU simulator, or on the CUDA GPU when
/// STRIDER_ILGPU_TEST_ACCELERATOR=cuda (as tools/gpu/run.sh runs it on a GPU machine).
/// </summary>
// Most of the runtime suite's time: every op, simulated thread by thread (minutes); CpuDeviceOpTests runs the same cases fast.
[Trait("Speed", "Slow")]
public sealed class IlgpuDeviceOpTests : DeviceOpTests
{
    /// <summary>The environment variable that picks the accelerator: unset or "cpu" for the simulator, "cuda" for the first CUDA GPU.</summary>
    public const string AcceleratorVariable = "STRIDER_ILGPU_TEST_ACCELERATOR";

    // One CUDA device for the whole class: a context and its kernel compiles for each of the ~250 cases would spend
    // minutes of a GPU machine's short lease. The cases of one class run one after another.
    private static readonly Lazy<IlgpuDevice> s_cuda = new(() => IlgpuDevice.CreateCuda());

    protected override Device CreateDevice() => Environment.GetEnvironmentVariable(AcceleratorVariable)?.Trim().ToLowerInvariant() switch
    {
        null or "" or "cpu" => IlgpuDevice.CreateCpuSimulator(),
        "cuda" => s_cuda.Value,
        var other => throw new InvalidOperationException($"{AcceleratorVariable}='{other}' is not an accelerator this suite knows; use 'cpu' (the simulator) or 'cuda'."),
    };

    // ptxas contracts a multiply and an add into one FMA; the simulator runs .NET's arithmetic, which does not.
    protected override bool ContractsMultiplyAdd => ReferenceEquals(Device, s_cuda.IsValueCreated ? s_cuda.Value : null);

    public override void Dispose()
    {
        // The shared CUDA device lives until the process ends.
        if (s_cuda.IsValueCreated && ReferenceEquals(Device, s_cuda.Value)) GC.SuppressFinalize(this);
        else base.Dispose();
    }
}
