using System;

namespace Strider.Shapes;

/// <summary>An exact fraction, kept normalized (lowest terms, positive denominator); transposed layers divide jumps.</summary>
internal readonly record struct Rational : IComparable<Rational>
{
    public Rational(long numerator, long denominator)
    {
        if (denominator == 0) throw new ArgumentOutOfRangeException(nameof(denominator), "A rational needs a nonzero denominator, got 0.");
        long g = IntMath.Gcd(numerator, denominator);
        if (g == 0) g = 1;
        if (denominator < 0) g = -g;
        Numerator = numerator / g;
        denominatorLessOne = denominator / g - 1;
    }

    // Stored less one so that default(Rational) is 0/1 and equals new Rational(0, 1).
    private readonly long denominatorLessOne;

    public long Numerator { get; }

    /// <summary>Always positive.</summary>
    public long Denominator => denominatorLessOne + 1;

    public bool IsInteger => Denominator == 1;

    public static implicit operator Rational(long value) => new(value, 1);

    public static Rational operator +(Rational a, Rational b) => new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static Rational operator -(Rational a, Rational b) => new(a.Numerator * b.Denominator - b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static Rational operator *(Rational a, Rational b) => new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static Rational operator /(Rational a, Rational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    public static bool operator <(Rational a, Rational b) => a.CompareTo(b) < 0;

    public static bool operator >(Rational a, Rational b) => a.CompareTo(b) > 0;

    public static Rational Min(Rational a, Rational b) => a < b ? a : b;

    public static Rational Max(Rational a, Rational b) => a > b ? a : b;

    public int CompareTo(Rational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);

    public void Deconstruct(out long numerator, out long denominator)
    {
        numerator = Numerator;
        denominator = Denominator;
    }

    /// <summary>"4", "-3", "1/2".</summary>
    public override string ToString() => Denominator == 1 ? Numerator.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : FormattableString.Invariant($"{Numerator}/{Denominator}");
}

/// <summary>
/// What one output position of a node sees of the network input: Size input positions (the receptive field), Jump
/// input positions between adjacent outputs (the effective stride), and Start, the input coordinate where output 0's
/// field begins (negative when it reaches into padding).
/// </summary>
internal readonly record struct FieldOfView(Rational Size, Rational Jump, Rational Start);
