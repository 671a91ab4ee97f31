using System;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Activations;

/// <summary>
/// One activation as an operation struct: the elementwise rule every device runs, the CPU device in its range loops
/// and ILGPU in one kernel per struct. Callers reach it through <c>default(TActivation)</c> on a type parameter
/// constrained to a struct, so each call is resolved and inlined per activation (the pattern of ILGPU's
/// IScanReduceOperation). The math goes through XMath, which is MathF on the host and the backend's intrinsic in a kernel.
/// </summary>
internal interface IActivation
{
    /// <summary>y = f(x); <paramref name="p0"/> and <paramref name="p1"/> are the op's parameters (Elu's alpha, Clip's bounds).</summary>
    float Forward(float x, float p0, float p1);

    /// <summary>dx = f'(x) dy, given x, y = f(x) (cheaper for some) and dy.</summary>
    float Backward(float x, float y, float dy, float p0, float p1);
}

/// <summary>
/// An activation with a SIMD form for the CPU device's fast path: the scalar form's values lane for lane, bit for bit.
/// The vector forms take no parameters; an activation with parameters gets them when it gets a vector form.
/// </summary>
internal interface IVectorActivation : IActivation
{
    /// <summary><see cref="IActivation.Forward"/> on 8 lanes.</summary>
    Vector256<float> Forward(Vector256<float> x);

    /// <summary><see cref="IActivation.Backward"/> on 8 lanes (x and dy; y is not needed by a vector form today).</summary>
    Vector256<float> Backward(Vector256<float> x, Vector256<float> dy);
}

/// <summary>What a device does with the operation struct of an <see cref="Activation"/>: see <see cref="ActivationOps.Accept"/>.</summary>
internal interface IActivationVisitor
{
    /// <summary>Runs the activation <typeparamref name="TActivation"/> (scalar form).</summary>
    void Visit<TActivation>() where TActivation : struct, IActivation;

    /// <summary>Runs the activation <typeparamref name="TActivation"/>, which also has a SIMD form.</summary>
    void VisitVector<TActivation>() where TActivation : struct, IVectorActivation;
}

/// <summary>The registry from the public <see cref="Activation"/> values to their operation structs, shared by every device.</summary>
internal static class ActivationOps
{
    /// <summary>
    /// Calls <paramref name="visitor"/> with the operation struct of <paramref name="f"/>. A value without a struct
    /// throws: there is no default arm that computes something else.
    /// </summary>
    public static void Accept<TVisitor>(Activation f, ref TVisitor visitor) where TVisitor : struct, IActivationVisitor
    {
        switch (f)
        {
            case Activation.Relu: visitor.VisitVector<Relu>(); break;
            case Activation.Elu: visitor.Visit<Elu>(); break;
            case Activation.Sigmoid: visitor.Visit<Sigmoid>(); break;
            case Activation.Tanh: visitor.Visit<Tanh>(); break;
            case Activation.SoftSign: visitor.Visit<SoftSign>(); break;
            case Activation.Clip: visitor.Visit<Clip>(); break;
            case Activation.Log: visitor.Visit<Log>(); break;
            case Activation.Exp: visitor.Visit<Exp>(); break;
            case Activation.LeakyRelu: visitor.Visit<LeakyRelu>(); break;
            case Activation.Relu6: visitor.VisitVector<Relu6>(); break;
            case Activation.HardTanh: visitor.Visit<HardTanh>(); break;
            case Activation.Silu: visitor.Visit<Silu>(); break;
            case Activation.Gelu: visitor.Visit<Gelu>(); break;
            case Activation.GeluTanh: visitor.Visit<GeluTanh>(); break;
            case Activation.HardSwish: visitor.VisitVector<HardSwish>(); break;
            case Activation.HardSigmoid: visitor.VisitVector<HardSigmoid>(); break;
            case Activation.Softplus: visitor.Visit<Softplus>(); break;
            default:
                throw new ArgumentOutOfRangeException(nameof(f), f,
                    $"The activation {f} has no operation struct: add one in src/Runtime/Devices/Activations and its line in ActivationOps.Accept.");
        }
    }
}
