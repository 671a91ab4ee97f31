using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Strider.Devices.Gpu;

namespace Strider.GpuCheck;

/// <summary>What ILGPU sees: the CUDA devices with their compute capability and memory, and the PTX ISA and architecture it compiles for.</summary>
public static class AcceleratorReport
{
    /// <summary>Lists ILGPU's CUDA devices; false when there is none (no driver, or no GPU).</summary>
    public static bool PrintCudaDevices(TextWriter output)
    {
        output.WriteLine($"ILGPU {typeof(Context).Assembly.GetName().Version}");
        try
        {
            using var context = Context.Create(b => b.Cuda());
            var devices = context.GetCudaDevices();
            output.WriteLine($"CUDA devices: {devices.Count}");
            foreach (var d in devices)
            {
                output.WriteLine($"  [{d.DeviceId}] {d.Name}: compute capability {d.Architecture?.ToString() ?? "unknown to this ILGPU"}, " +
                    $"PTX ISA {d.InstructionSet?.ToString() ?? "none this ILGPU supports"}, driver {d.DriverVersion}, " +
                    $"{d.MemorySize / (1024.0 * 1024 * 1024):F1} GiB, {d.NumMultiprocessors} multiprocessors");
            }
            return devices.Count > 0;
        }
        catch (Exception e)
        {
            output.WriteLine($"CUDA: ILGPU could not open the driver: {e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    /// <summary>The accelerator the checks run on.</summary>
    public static void PrintChosen(IlgpuDevice device, TextWriter output)
    {
        var a = device.Accelerator;
        // The simulator reports no real memory size (it allocates host memory).
        string memory = a.AcceleratorType == AcceleratorType.CPU ? "host memory" : $"{a.MemorySize / (1024.0 * 1024 * 1024):F1} GiB";
        output.WriteLine($"Device: {device.Name} ({a.AcceleratorType}, {memory}, " +
            $"warp {a.WarpSize}, max group {a.MaxNumThreadsPerGroup}, shared memory per group {a.MaxSharedMemoryPerGroup / 1024} KiB)");
        if (a is CudaAccelerator cuda)
            output.WriteLine($"CUDA: compute capability {cuda.Architecture}, PTX ISA chosen {cuda.InstructionSet}, driver {cuda.DriverVersion}, " +
                $"{cuda.NumMultiprocessors} multiprocessors, clock {cuda.ClockRate / 1000} MHz");
    }
}
