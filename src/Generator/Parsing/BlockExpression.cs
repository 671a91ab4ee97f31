using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Strider.Generator.Parsing;

/// <summary>
/// Evaluates an attribute argument's syntax with a block instance's parameter values in place of the block's consts:
/// literals, the block's parameters and consts, <c>nameof</c>, arithmetic (+ - * / %), comparisons, ! &amp;&amp; ||, ?:,
/// casts to numeric types, parentheses and arrays. The compiler has already checked the expression with the defaults,
/// so types agree; what is not listed here is named in the error.
/// Integers are computed as long, floating values as double, as C# computes int and double constants.
/// </summary>
internal static class BlockExpression
{
    /// <summary>Whether <paramref name="expression"/> reads one of <paramref name="values"/> (so the compiler's value is the default's, not the instance's).</summary>
    public static bool ReadsParameters(ExpressionSyntax expression, IReadOnlyDictionary<string, object?> values, IReadOnlyCollection<string> parameters) =>
        expression.DescendantNodesAndSelf(n => !IsNameOf(n)).OfType<IdentifierNameSyntax>()
            .Any(id => parameters.Contains(id.Identifier.ValueText) && values.ContainsKey(id.Identifier.ValueText) && !IsNameOf(id.Parent)
                && !(id.Parent is MemberAccessExpressionSyntax m && m.Name == id && !IsBlockQualified(m)));

    /// <summary>The value (long, double, bool, string, object?[] or null), or null with <paramref name="error"/> saying what could not be read.</summary>
    public static object? Evaluate(ExpressionSyntax expression, IReadOnlyDictionary<string, object?> values, out string? error)
    {
        error = null;
        try
        {
            return Eval(expression, values);
        }
        catch (Unsupported e)
        {
            error = e.Message;
            return null;
        }
        catch (System.Exception e) when (e is System.DivideByZeroException or System.InvalidCastException or System.FormatException or System.OverflowException)
        {
            error = "'" + expression + "' fails with these values (" + e.Message + ")";
            return null;
        }
    }

    private sealed class Unsupported : System.Exception
    {
        public Unsupported(string message) : base(message) { }
    }

    private static bool IsNameOf(SyntaxNode? node) =>
        node is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } };

    // BasicBlock.planes: a member access on the block's own name reads the parameter as the bare name does.
    private static bool IsBlockQualified(MemberAccessExpressionSyntax m) => m.Expression is IdentifierNameSyntax or QualifiedNameSyntax;

    private static object? Eval(ExpressionSyntax e, IReadOnlyDictionary<string, object?> values)
    {
        switch (e)
        {
            case LiteralExpressionSyntax literal:
                return Normalize(literal.Token.Value);
            case ParenthesizedExpressionSyntax p:
                return Eval(p.Expression, values);
            case IdentifierNameSyntax id:
                if (values.TryGetValue(id.Identifier.ValueText, out var v)) return Normalize(v);
                throw new Unsupported("'" + id.Identifier.ValueText + "' is neither a parameter nor a const of the block");
            case MemberAccessExpressionSyntax m when values.TryGetValue(m.Name.Identifier.ValueText, out var member) && IsBlockQualified(m):
                return Normalize(member);
            case InvocationExpressionSyntax call when IsNameOf(call) && call.ArgumentList.Arguments.Count == 1:
                return call.ArgumentList.Arguments[0].Expression is IdentifierNameSyntax named ? named.Identifier.ValueText
                    : call.ArgumentList.Arguments[0].Expression is MemberAccessExpressionSyntax ma ? ma.Name.Identifier.ValueText
                    : throw new Unsupported("'" + call + "' is not a nameof of a simple name");
            case PrefixUnaryExpressionSyntax u:
                var operand = Eval(u.Operand, values);
                return u.Kind() switch
                {
                    SyntaxKind.UnaryMinusExpression => operand is double d ? -d : (object)checked(-(long)operand!),
                    SyntaxKind.UnaryPlusExpression => operand,
                    SyntaxKind.LogicalNotExpression => !(bool)operand!,
                    _ => throw new Unsupported("the operator '" + u.OperatorToken.Text + "' is not supported"),
                };
            case BinaryExpressionSyntax b:
                return Binary(b, values);
            case ConditionalExpressionSyntax c:
                return (bool)Eval(c.Condition, values)! ? Eval(c.WhenTrue, values) : Eval(c.WhenFalse, values);
            case CastExpressionSyntax cast when cast.Type is PredefinedTypeSyntax t:
                var inner = Eval(cast.Expression, values);
                return t.Keyword.Kind() switch
                {
                    SyntaxKind.IntKeyword or SyntaxKind.LongKeyword => inner is double d2 ? (long)d2 : System.Convert.ToInt64(inner, CultureInfo.InvariantCulture),
                    SyntaxKind.DoubleKeyword or SyntaxKind.FloatKeyword => System.Convert.ToDouble(inner, CultureInfo.InvariantCulture),
                    _ => throw new Unsupported("the cast to '" + t + "' is not supported"),
                };
            case ArrayCreationExpressionSyntax array when array.Initializer is not null:
                return array.Initializer.Expressions.Select(x => Eval(x, values)).ToArray();
            case ImplicitArrayCreationExpressionSyntax implicitArray:
                return implicitArray.Initializer.Expressions.Select(x => Eval(x, values)).ToArray();
            case CollectionExpressionSyntax collection:
                return collection.Elements.Select(x => x is ExpressionElementSyntax element ? Eval(element.Expression, values)
                    : throw new Unsupported("a spread in '" + collection + "' is not supported")).ToArray();
            default:
                throw new Unsupported("'" + e + "' is not one of: literals, the block's parameters and consts, + - * / %, comparisons, ?:, parentheses");
        }
    }

    private static object? Binary(BinaryExpressionSyntax b, IReadOnlyDictionary<string, object?> values)
    {
        var kind = b.Kind();
        if (kind == SyntaxKind.LogicalAndExpression) return (bool)Eval(b.Left, values)! && (bool)Eval(b.Right, values)!;
        if (kind == SyntaxKind.LogicalOrExpression) return (bool)Eval(b.Left, values)! || (bool)Eval(b.Right, values)!;
        var left = Eval(b.Left, values);
        var right = Eval(b.Right, values);
        if (kind == SyntaxKind.AddExpression && (left is string || right is string)) return System.Convert.ToString(left, CultureInfo.InvariantCulture) + System.Convert.ToString(right, CultureInfo.InvariantCulture);
        if (kind is SyntaxKind.EqualsExpression or SyntaxKind.NotEqualsExpression && (left is bool or string || right is bool or string))
            return Equals(left, right) == (kind == SyntaxKind.EqualsExpression);
        if (left is long l && right is long r)
        {
            return kind switch
            {
                SyntaxKind.AddExpression => checked(l + r),
                SyntaxKind.SubtractExpression => checked(l - r),
                SyntaxKind.MultiplyExpression => checked(l * r),
                SyntaxKind.DivideExpression => l / r,
                SyntaxKind.ModuloExpression => l % r,
                SyntaxKind.EqualsExpression => l == r,
                SyntaxKind.NotEqualsExpression => l != r,
                SyntaxKind.LessThanExpression => l < r,
                SyntaxKind.LessThanOrEqualExpression => l <= r,
                SyntaxKind.GreaterThanExpression => l > r,
                SyntaxKind.GreaterThanOrEqualExpression => l >= r,
                _ => throw new Unsupported("the operator '" + b.OperatorToken.Text + "' is not supported"),
            };
        }
        double x = System.Convert.ToDouble(left, CultureInfo.InvariantCulture), y = System.Convert.ToDouble(right, CultureInfo.InvariantCulture);
        return kind switch
        {
            SyntaxKind.AddExpression => x + y,
            SyntaxKind.SubtractExpression => x - y,
            SyntaxKind.MultiplyExpression => x * y,
            SyntaxKind.DivideExpression => x / y,
            SyntaxKind.ModuloExpression => x % y,
            SyntaxKind.EqualsExpression => x == y,
            SyntaxKind.NotEqualsExpression => x != y,
            SyntaxKind.LessThanExpression => x < y,
            SyntaxKind.LessThanOrEqualExpression => x <= y,
            SyntaxKind.GreaterThanExpression => x > y,
            SyntaxKind.GreaterThanOrEqualExpression => x >= y,
            _ => throw new Unsupported("the operator '" + b.OperatorToken.Text + "' is not supported"),
        };
    }

    /// <summary>Integers as long, floating values as double; other values as they are.</summary>
    public static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        sbyte sb => (long)sb,
        uint u => (long)u,
        float f => (double)f,
        _ => value,
    };

    /// <summary>The value as an attribute argument of <paramref name="type"/> (the parameter's or property's type), or null when it does not convert.</summary>
    public static ArgValue? ToArgument(object? value, ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array)
        {
            if (value is null) return new ArgValue(TypedConstantKind.Array, null, null);
            if (value is not object?[] items) return null;
            var elements = new ArgValue[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                if (ToArgument(items[i], array.ElementType) is not { } element) return null;
                elements[i] = element;
            }
            return new ArgValue(TypedConstantKind.Array, null, elements);
        }
        if (type.TypeKind == TypeKind.Enum)
            return value is long e ? new ArgValue(TypedConstantKind.Enum, (int)e, null) : null;
        if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T && type is INamedTypeSymbol nullable)
            return value is null ? new ArgValue(TypedConstantKind.Primitive, null, null) : ToArgument(value, nullable.TypeArguments[0]);
        object? converted = type.SpecialType switch
        {
            SpecialType.System_Int32 when value is long l && l >= int.MinValue && l <= int.MaxValue => (int)l,
            SpecialType.System_Int64 when value is long l => l,
            SpecialType.System_Double when value is long or double => System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
            SpecialType.System_Single when value is long or double => (float)System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
            SpecialType.System_Boolean when value is bool flag => flag,
            SpecialType.System_String when value is string or null => value,
            SpecialType.System_Object => value,
            _ => null,
        };
        return converted is null && !(value is null && type.SpecialType is SpecialType.System_String or SpecialType.System_Object)
            ? null
            : new ArgValue(TypedConstantKind.Primitive, converted, null);
    }
}
