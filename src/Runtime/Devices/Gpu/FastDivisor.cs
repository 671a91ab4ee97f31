using System;

namespace Strider.Devices.Gpu;

/// <summary>
/// Division of a non-negative int by a divisor fixed when a kernel launches, as one wide multiply and a shift: a GPU
/// has no integer divider, and the implicit GEMMs' operand loads divide indices by kernel and plane sizes several
/// times each. With l = ceil(log2 d) and m = floor(2^(32+l) / d) + 1, floor(n / d) = (n m) >> (32 + l) for every
/// 0 &lt;= n &lt; 2^32 (Granlund and Montgomery, 1994, theorem 4.2: 2^(32+l) &lt; m d &lt;= 2^(32+l) + 2^l).
/// </summary>
internal readonly struct FastDivisor
{
    private readonly ulong _magic;
    private readonly int _shift;

    /// <summary>The divisor.</summary>
    public readonly int Value;

    /// <summary>A divisor of at least 1; 0 (an empty axis, where no index is ever divided) divides as 1.</summary>
    public FastDivisor(int divisor)
    {
        if (divisor < 0) throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "A fast divisor must not be negative.");
        Value = Math.Max(divisor, 1);
        int l = 0;
        while ((1L << l) < Value) l++;
        _shift = 32 + l;
        _magic = (ulong)(((UInt128)1 << _shift) / (ulong)Value) + 1;
    }

    /// <summary>n / Value for n &gt;= 0.</summary>
    public int Divide(int n) => (int)(((ulong)(uint)n * _magic) >> _shift);

    /// <summary>n / Value and n % Value for n &gt;= 0.</summary>
    public (int Quotient, int Remainder) DivRem(int n)
    {
        int q = Divide(n);
        return (q, n - q * Value);
    }
}
