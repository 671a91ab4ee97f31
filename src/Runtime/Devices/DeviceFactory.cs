using System;
using Strider.Devices.Cpu;

namespace Strider.Devices;

/// <summary>Creates devices by name, for apps that pick one from configuration (STRIDER_DEVICE).</summary>
public static class DeviceFactory
{
    /// <summary>Known names, for messages.</summary>
    public const string KnownNames = "cpu, ilgpu-cpu (ILGPU's slow CPU simulator, for tests), cuda, opencl";

    /// <summary>Creates the named device; null or empty gives the fast CPU device.</summary>
    public static Device Create(string? name)
    {
        string key = string.IsNullOrWhiteSpace(name) ? "cpu" : name!.Trim().ToLowerInvariant();
        return key switch
        {
            "cpu" => new CpuDevice(),
            "ilgpu-cpu" => Gpu.IlgpuDevice.CreateCpuSimulator(),
            "cuda" => Gpu.IlgpuDevice.CreateCuda(),
            "opencl" => Gpu.IlgpuDevice.CreateOpenCL(),
            _ => throw new ArgumentException($"Unknown device '{name}'. Known devices: {KnownNames}.", nameof(name)),
        };
    }
}
