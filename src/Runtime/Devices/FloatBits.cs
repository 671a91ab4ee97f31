using ILGPU;

namespace Strider.Devices;

/// <summary>
/// Float tests from the bits, independent of whether a backend lowers a compare with NaN as ordered: the activation
/// structs and the ILGPU kernels decide on these wherever NaN or a zero's sign matters.
/// </summary>
internal static class FloatBits
{
    /// <summary>NaN: exponent all ones, mantissa not zero.</summary>
    public static bool IsNaN(float v) => (Interop.FloatAsInt(v) & 0x7FFFFFFFu) > 0x7F800000u;
}
