using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Strider.Generator.Parsing;

/// <summary>
/// One attribute argument's value as the compiler gave it (a <see cref="TypedConstant"/>'s kind, value and elements), in
/// a form the block expansion can replace with a value computed from an instance's parameters.
/// </summary>
internal readonly struct ArgValue
{
    public ArgValue(TypedConstantKind kind, object? value, ArgValue[]? values)
    {
        Kind = kind;
        Value = value;
        Values = values;
    }

    public TypedConstantKind Kind { get; }

    /// <summary>The scalar's value (int, double, float, bool, string, an enum's underlying value, ...); null for an array.</summary>
    public object? Value { get; }

    /// <summary>An array's elements; null for a scalar or a null array.</summary>
    public ArgValue[]? Values { get; }

    public bool IsNull => Kind == TypedConstantKind.Array ? Values is null : Value is null;

    public static ArgValue From(TypedConstant c) => c.Kind == TypedConstantKind.Array
        ? new ArgValue(c.Kind, null, c.IsNull ? null : c.Values.Select(From).ToArray())
        : new ArgValue(c.Kind, c.Value, null);
}

/// <summary>An attribute's arguments: constructor arguments by parameter (params expanded into one array) and named ones by property.</summary>
internal sealed class AttributeArguments
{
    private AttributeArguments(IMethodSymbol? constructor, List<(string Parameter, ArgValue Value)> positional, List<(string Key, ArgValue Value)> named)
    {
        Constructor = constructor;
        Positional = positional;
        Named = named;
    }

    public IMethodSymbol? Constructor { get; }

    public List<(string Parameter, ArgValue Value)> Positional { get; }

    public List<(string Key, ArgValue Value)> Named { get; }

    public static AttributeArguments From(AttributeData attribute)
    {
        var parameters = attribute.AttributeConstructor?.Parameters ?? System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty;
        var positional = new List<(string, ArgValue)>();
        for (int i = 0; i < attribute.ConstructorArguments.Length && i < parameters.Length; i++)
            positional.Add((parameters[i].Name, ArgValue.From(attribute.ConstructorArguments[i])));
        var named = attribute.NamedArguments.Select(n => (n.Key, ArgValue.From(n.Value))).ToList();
        return new AttributeArguments(attribute.AttributeConstructor, positional, named);
    }

    /// <summary>The named argument <paramref name="key"/> as a string, or null when it is not written.</summary>
    public string? NamedString(string key)
    {
        foreach (var (k, v) in Named) if (k == key) return v.Value as string;
        return null;
    }

    /// <summary>Replaces (or adds) the named argument <paramref name="key"/>.</summary>
    public void SetNamed(string key, ArgValue value)
    {
        for (int i = 0; i < Named.Count; i++)
            if (Named[i].Key == key)
            {
                Named[i] = (key, value);
                return;
            }
        Named.Add((key, value));
    }

    /// <summary>Replaces the constructor argument of <paramref name="parameter"/>, or element <paramref name="element"/> of its params array.</summary>
    public void SetPositional(string parameter, int element, ArgValue value)
    {
        for (int i = 0; i < Positional.Count; i++)
        {
            if (Positional[i].Parameter != parameter) continue;
            if (element < 0)
            {
                Positional[i] = (parameter, value);
            }
            else if (Positional[i].Value.Values is { } elements && element < elements.Length)
            {
                var copy = (ArgValue[])elements.Clone();
                copy[element] = value;
                Positional[i] = (parameter, new ArgValue(TypedConstantKind.Array, null, copy));
            }
            return;
        }
    }
}
