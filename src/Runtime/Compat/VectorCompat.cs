#if !NET9_0_OR_GREATER
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

// In namespace Strider so every Strider.* call site finds the extensions without a using.
namespace Strider;

/// <summary>
/// net8.0 stand-ins for the .NET 9 vector APIs the CPU device calls (Vector256/512.FusedMultiplyAdd, in double lanes too, and
/// Vector256/512&lt;int&gt;.Indices), as C# 14 static extensions so the call sites read the same on both targets.
/// On net9.0 and later this file compiles to nothing and the BCL's own members are used.
/// </summary>
internal static class VectorCompat
{
    extension(Vector256)
    {
        /// <summary>(a * b) + c rounded once, as .NET 9's Vector256.FusedMultiplyAdd.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            return Vector256.Create(Vector128.FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()),
                Vector128.FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));
        }

        /// <summary>(a * b) + c rounded once in double lanes, as .NET 9's Vector256.FusedMultiplyAdd.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> FusedMultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            return Vector256.Create(Math.FusedMultiplyAdd(a[0], b[0], c[0]), Math.FusedMultiplyAdd(a[1], b[1], c[1]),
                Math.FusedMultiplyAdd(a[2], b[2], c[2]), Math.FusedMultiplyAdd(a[3], b[3], c[3]));
        }
    }

    extension(Vector512)
    {
        /// <summary>(a * b) + c rounded once, as .NET 9's Vector512.FusedMultiplyAdd.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c)
        {
            if (Avx512F.IsSupported) return Avx512F.FusedMultiplyAdd(a, b, c);
            return Vector512.Create(Vector256.FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()),
                Vector256.FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));
        }
    }

    extension(Vector128)
    {
        /// <summary>(a * b) + c rounded once, as .NET 9's Vector128.FusedMultiplyAdd.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            return Vector128.Create(MathF.FusedMultiplyAdd(a[0], b[0], c[0]), MathF.FusedMultiplyAdd(a[1], b[1], c[1]),
                MathF.FusedMultiplyAdd(a[2], b[2], c[2]), MathF.FusedMultiplyAdd(a[3], b[3], c[3]));
        }
    }

    extension(Vector256<int>)
    {
        /// <summary>0, 1, ..., 7, as .NET 9's Vector256&lt;int&gt;.Indices.</summary>
        public static Vector256<int> Indices => Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
    }
}

/// <summary>Vector512&lt;int&gt;.Indices for net8.0 (its own class: both Indices getters would lower to get_Indices()).</summary>
internal static class Vector512Compat
{
    extension(Vector512<int>)
    {
        /// <summary>0, 1, ..., 15, as .NET 9's Vector512&lt;int&gt;.Indices.</summary>
        public static Vector512<int> Indices => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
}
#endif
