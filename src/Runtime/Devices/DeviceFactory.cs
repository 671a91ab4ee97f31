using System;

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
        if (key == "ilgpu-cpu") return Gpu.IlgpuDevice.CreateCpuSimulator();
        if (key == "cuda") return Gpu.IlgpuDevice.CreateCuda();
        if (key == "opencl") return Gpu.IlgpuDevice.CreateOpenCL();
        throw new ArgumentException($"Unknown device '{name}'. Known devices: {KnownNames}.", nameof(name));
    }
}
