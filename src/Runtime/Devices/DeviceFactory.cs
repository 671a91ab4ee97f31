using System;
using Strider.Devices.Cpu;

namespace Strider.Devices;

/// <summary>Creates devices by name, for apps that pick one from configuration (STRIDER_DEVICE).</summary>
public static class DeviceFactory
{
    /// <summary>Known names, for messages.</summary>
    public const string KnownNames = "cpu, ilgpu-cpu (ILGPU's slow CPU simulator, for tests), cuda, opencl";

    /// <summary>
    /// Creates the named device; null or empty gives the fast CPU device. Each CPU device gets its own
    /// <see cref="Device.Name"/> ("cpu#1", "cpu#2"); only <see cref="Device.Default"/> is plainly "cpu".
    /// </summary>
    public static Device Create(string? name) => Create(name, isDefault: false);

    /// <summary><see cref="Create(string)"/> for <see cref="Device.Default"/>: a CPU device is named plainly "cpu".</summary>
    internal static Device CreateDefault(string? name) => Create(name, isDefault: true);

    private static Device Create(string? name, bool isDefault)
    {
        string key = string.IsNullOrWhiteSpace(name) ? "cpu" : name!.Trim().ToLowerInvariant();
        return key switch
        {
            "cpu" => isDefault ? CpuDevice.CreateDefault() : new CpuDevice(),
            "ilgpu-cpu" => Gpu.IlgpuDevice.CreateCpuSimulator(),
            "cuda" => Gpu.IlgpuDevice.CreateCuda(),
            "opencl" => Gpu.IlgpuDevice.CreateOpenCL(),
            _ => throw new ArgumentException($"Unknown device '{name}'. Known devices: {KnownNames}.", nameof(name)),
        };
    }
}
