using System;

namespace Strider.Shapes;

/// <summary>Integer division that rounds toward minus infinity, and the other small helpers the size algebra needs.</summary>
internal static class IntMath
{
    /// <summary>floor(a / b) for b &gt; 0.</summary>
    public static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;
    }

    /// <summary>ceil(a / b) for b &gt; 0.</summary>
    public static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    /// <summary>a mod b in [0, b) for b &gt; 0.</summary>
    public static long Mod(long a, long b)
    {
        long r = a % b;
        return r < 0 ? r + b : r;
    }

    public static long Gcd(long a, long b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        while (b != 0)
        {
            long t = a % b;
            a = b;
            b = t;
        }

        return a;
    }

    /// <summary>Least common multiple, or -1 when it exceeds <paramref name="cap"/>.</summary>
    public static long Lcm(long a, long b, long cap)
    {
        long g = Gcd(a, b);
        long r = a / g;
        if (r > cap / b) return -1;
        r *= b;
        return r > cap ? -1 : r;
    }

    /// <summary>Narrows a size to int, saturating, so huge intermediate sizes stay obviously huge instead of wrapping.</summary>
    public static int Saturate(long v) => v > int.MaxValue ? int.MaxValue : v < int.MinValue ? int.MinValue : (int)v;
}
