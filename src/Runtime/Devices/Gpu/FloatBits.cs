using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Float tests in kernels from the bits, independent of whether a backend lowers a compare with NaN as ordered.</summary>
internal static class FloatBits
{
    /// <summary>NaN: exponent all ones, mantissa not zero.</summary>
    public static bool IsNaN(float v) => (Interop.FloatAsInt(v) & 0x7FFFFFFFu) > 0x7F800000u;
}
