using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Diagnostics;
using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Parsing;

/// <summary>Checks of the [Network] class itself: its kind and modifiers, its members and its base class against what the generator writes.</summary>
internal static partial class NetworkParser
{
    /// <summary>
    /// The user's one-tensor Forward, Backward and BackwardParameters methods: an overload for another shape is fine, one
    /// for the network's own shape collides (the pipeline decides once the shapes are planned).
    /// </summary>
    private static EquatableArray<TensorOverload> TensorOverloads(INamedTypeSymbol type, string hintName)
    {
        var found = new List<TensorOverload>();
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary, Parameters.Length: 1 } method) continue;
            if (method.Name is not ("Forward" or "Backward" or "BackwardParameters")) continue;
            if (method.Parameters[0].Type is not INamedTypeSymbol { Name: "Tensor", TypeArguments.Length: 1 } tensor) continue;
            if (method.TypeParameters.Length > 0 || tensor.TypeArguments[0] is not INamedTypeSymbol shape) continue;
            var location = method.Locations.FirstOrDefault(l => l.IsInSource && !IsGenerated(l.SourceTree!, hintName));
            if (location is null) continue;
            found.Add(new TensorOverload(method.Name, shape.Name, new SourceSpan(location.SourceTree!.FilePath, location.SourceSpan.Start, location.SourceSpan.Length)));
        }
        return new EquatableArray<TensorOverload>(found);
    }

    /// <summary>
    /// The user's members that <see cref="Collision"/> leaves to the pipeline: whether a generated member has the same name
    /// depends on the layers (<c>_conv1Out</c>, <c>Conv1Geometry</c>, ...), so it is known once the network is planned.
    /// </summary>
    private static EquatableArray<UserMember> UserMembers(INamedTypeSymbol type, string hintName)
    {
        var found = new List<UserMember>();
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared) continue;
            // Constructors, accessors, operators and explicit implementations have no name a generated member could take;
            // the public API methods overload by signature, which Collision and TensorOverloads check.
            if (member is IMethodSymbol method && (method.MethodKind != MethodKind.Ordinary || (IsMethodName(method.Name) && method.Name != "SaveDiagram"))) continue;
            if (member is IPropertySymbol { IsIndexer: true } || member.Name.Contains('.')) continue;
            var location = member.Locations.FirstOrDefault(l => l.IsInSource && !IsGenerated(l.SourceTree!, hintName));
            if (location is null) continue;
            string? signature = member is IMethodSymbol m ? GeneratedMembers.Signature(m.Arity,
                m.Parameters.Select(p => (p.RefKind != RefKind.None, p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)))) : null;
            found.Add(new UserMember(member.Name, signature, Describe(member),
                new SourceSpan(location.SourceTree!.FilePath, location.SourceSpan.Start, location.SourceSpan.Length)));
        }
        return new EquatableArray<UserMember>(found);
    }

    private static void CheckClass(INamedTypeSymbol type, SourceSpan nameSpan, string hintName, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        void Class(string problem) => diagnostics.Add(DiagnosticInfo.Create("STR0013", nameSpan, type.Name, problem));

        string kind = type.IsRecord ? (type.TypeKind == TypeKind.Struct ? "a record struct" : "a record")
            : type.TypeKind switch { TypeKind.Struct => "a struct", TypeKind.Interface => "an interface", TypeKind.Class => "", TypeKind.Enum => "an enum", _ => "a " + type.TypeKind.ToString().ToLowerInvariant() };
        if (kind.Length > 0)
        {
            Class($"is {kind}; a network must be a class: write 'public partial class {type.Name}'");
            return; // the checks below are about classes
        }
        if (!IsPartial(type, cancellationToken))
            Class("must be declared 'partial' so the generator can add its members: write 'public partial class " + type.Name + "'");
        if (type.TypeParameters.Length > 0)
            Class("cannot be generic: shapes are compile-time constants, so declare one non-generic class per network");
        if (type.IsStatic)
            Class("cannot be static: a network holds its parameters and buffers");
        else if (type.IsAbstract)
            Class("cannot be abstract: the generated class is the network itself, created with 'new'; remove 'abstract'");
        if (type.IsFileLocal)
            Class("cannot be a 'file' class: the generated half lives in another file, which cannot see it; make it 'internal' instead");
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(outer, cancellationToken))
                Class("is nested in '" + outer.Name + "', which must be 'partial' too");
            if (outer.IsGenericType)
                Class("is nested in the generic type '" + outer.Name + "'; declare the network outside generic types");
            if (outer.IsFileLocal)
                Class("is nested in the 'file' type '" + outer.Name + "', which the generated half in another file cannot see; make it 'internal'");
        }
        if (diagnostics.Any(d => d.Id == "STR0013")) return;
        CheckMembers(type, nameSpan, hintName, diagnostics, cancellationToken);
        CheckBase(type, nameSpan, diagnostics);
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>STR0020 on each member the user wrote that the generated half declares too (CS0111/CS0102 there otherwise).</summary>
    private static void CheckMembers(INamedTypeSymbol type, SourceSpan nameSpan, string hintName, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || member.DeclaringSyntaxReferences.Length == 0) continue;
            // The analyzer sees the generated half in the compilation: its members are the generator's own.
            if (member.DeclaringSyntaxReferences.All(r => IsGenerated(r.SyntaxTree, hintName))) continue;
            string? collision = Collision(member);
            if (collision is null) continue;
            var syntax = member.DeclaringSyntaxReferences.FirstOrDefault(r => !IsGenerated(r.SyntaxTree, hintName))?.GetSyntax(cancellationToken);
            var span = member.Locations.FirstOrDefault(l => l.IsInSource && !IsGenerated(l.SourceTree!, hintName)) is { } location
                ? new SourceSpan(location.SourceTree!.FilePath, location.SourceSpan.Start, location.SourceSpan.Length)
                : syntax is null ? nameSpan : ToSpan(syntax);
            diagnostics.Add(DiagnosticInfo.Create("STR0020", span, type.Name, Describe(member), collision));
        }
    }

    private static bool IsGenerated(SyntaxTree tree, string hintName)
    {
        string path = tree.FilePath;
        return path.EndsWith(hintName, System.StringComparison.Ordinal)
            && (path.Length == hintName.Length || path[path.Length - hintName.Length - 1] is '/' or '\\');
    }

    /// <summary>What the generated member with the same signature is and how to resolve it; null when there is none.</summary>
    private static string? Collision(ISymbol member)
    {
        if (member is IMethodSymbol method)
        {
            if (method.MethodKind == MethodKind.Constructor)
            {
                var ps = method.Parameters;
                if (ps.Length == 0)
                    return "the generated constructor creates the network on the default device; remove it, or write a static factory method instead";
                if (ps.Length == 2 && ps[0].Type.ToDisplayString() == "Strider.Devices.Device" && ps[1].Type.SpecialType == SpecialType.System_Int32)
                    return "the generated constructor (Device device, int seed) creates the network; remove it";
                return null;
            }
            if (method.MethodKind != MethodKind.Ordinary) return null; // explicit interface implementations, operators, finalizers
            var p = method.Parameters;
            bool collides = method.Name switch
            {
                "Dispose" or "ZeroGrad" => p.Length == 0,
                "Save" or "Load" => p.Length == 1 && p[0].Type.SpecialType == SpecialType.System_String,
                "ExportOnnx" => p.Length == 0 || (p.Length == 1 && p[0].Type.SpecialType == SpecialType.System_String),
                _ => false, // by name only: the pipeline compares it with the planned class's members
            };
            return collides ? $"the generated '{method.Name}' has this signature; remove or rename yours" + (method.Name == "Dispose" ? " (the generated Dispose frees the device buffers)" : "") : null;
        }
        return null; // a field, property, event or nested type: the pipeline compares its name with the planned class's members
    }

    private static bool IsNonMethodName(string name) => name is "Device" or "Parameters" or "Buffers" or "Training" or "DropoutStep" or "ParameterCount" or "Summary" or "InputName"
        or "Diagram" or "DiagramLayout";

    private static bool IsMethodName(string name) => name is "Forward" or "Backward" or "BackwardParameters" or "ZeroGrad" or "Save" or "Load" or "Dispose" or "ExportOnnx"
        or "SaveDiagram";

    private static string Describe(ISymbol member) => member is IMethodSymbol m
        ? (m.MethodKind == MethodKind.Constructor ? "the constructor" : "'" + m.Name + "'") + "(" + string.Join(", ", m.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")"
        : "'" + member.Name + "'";

    /// <summary>STR0021 when the base class breaks the generated constructors (CS7036) or has members they would hide (CS0108, CS0114).</summary>
    /// <summary>
    /// The class has a base class of the user's: then the generated half writes NetworkBase's members out itself. NetworkBase
    /// is the generated half's own base (the analyzer sees the class with it), not the user's.
    /// </summary>
    private static bool HasUserBase(INamedTypeSymbol type) =>
        type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && baseType.ToDisplayString() != NetworkBaseName;

    private const string NetworkBaseName = "Strider.NetworkBase";

    private static void CheckBase(INamedTypeSymbol type, SourceSpan nameSpan, List<DiagnosticInfo> diagnostics)
    {
        if (!HasUserBase(type)) return;
        var baseType = type.BaseType!;
        string baseName = baseType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        bool callable = baseType.InstanceConstructors.Any(c => c.DeclaredAccessibility != Accessibility.Private && c.Parameters.All(p => p.IsOptional || p.IsParams));
        if (!callable)
            diagnostics.Add(DiagnosticInfo.Create("STR0021", nameSpan, type.Name, baseName,
                "has no parameterless constructor the generated constructors can call; give it a 'protected " + baseType.Name + "()' constructor, or drop the base class"));
        var hidden = new List<string>();
        for (var b = baseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
            foreach (var m in b.GetMembers())
                if (m.DeclaredAccessibility != Accessibility.Private && !m.IsImplicitlyDeclared && (IsMethodName(m.Name) || IsNonMethodName(m.Name))
                    && !(m is IMethodSymbol { MethodKind: not MethodKind.Ordinary }))
                    hidden.Add("'" + b.Name + "." + m.Name + "'" + (m.IsVirtual || m.IsAbstract || m.IsOverride ? " (virtual)" : ""));
        if (hidden.Count > 0)
            diagnostics.Add(DiagnosticInfo.Create("STR0021", nameSpan, type.Name, baseName,
                "declares " + string.Join(", ", hidden.Distinct()) + ", which the generated members of the same name would hide (CS0108/CS0114); rename them in the base class, or hold the network in a field instead of deriving from it"));
    }
}
