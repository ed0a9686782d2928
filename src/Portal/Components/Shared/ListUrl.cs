using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Wharf.Portal.Components.Shared;

/// <summary>
/// A list's page, sort and filter kept in the address (<c>?page=2&amp;sort=size&amp;desc=true&amp;q=api</c>), so that
/// Back, a reload or a shared link returns to the same view. Replaces the current history entry: paging is not a
/// page of its own to go back through.
/// </summary>
public sealed record ListUrl(int Page, int Size, string? Sort, bool Descending, string? Query)
{
    public static readonly int[] PageSizes = [25, 50, 100];

    public static ListUrl Of<T>(GridState<T> state, string? query)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        return new ListUrl(state.Page, state.PageSize, sort?.SortBy, sort?.Descending ?? false, string.IsNullOrWhiteSpace(query) ? null : query.Trim());
    }

    /// <summary>What the grid asks for, as the services take it.</summary>
    public static Lists.ListRequest Request<T>(GridState<T> state, string? search)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        return new Lists.ListRequest(state.Page * state.PageSize, state.PageSize, sort?.SortBy, sort?.Descending ?? false, search);
    }

    public void WriteTo(NavigationManager navigation, string? defaultSort, bool defaultDescending)
    {
        var uri = navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["page"] = Page > 0 ? Page + 1 : null,
            ["size"] = Size != PageSizes[0] ? Size : null,
            ["sort"] = Sort is not null && !(string.Equals(Sort, defaultSort, StringComparison.OrdinalIgnoreCase) && Descending == defaultDescending) ? Sort.ToLowerInvariant() : null,
            ["desc"] = Sort is not null && !(string.Equals(Sort, defaultSort, StringComparison.OrdinalIgnoreCase) && Descending == defaultDescending) ? Descending : null,
            ["q"] = Query,
        });
        if (uri != navigation.Uri) navigation.NavigateTo(uri, replace: true);
    }

    /// <summary>The direction a column starts with, from the address (or the list's default).</summary>
    public static SortDirection Direction(string column, string? sort, bool? descending, string defaultSort, bool defaultDescending)
    {
        var active = sort ?? defaultSort;
        if (!string.Equals(active, column, StringComparison.OrdinalIgnoreCase)) return SortDirection.None;
        var down = sort is null ? defaultDescending : descending == true;
        return down ? SortDirection.Descending : SortDirection.Ascending;
    }

    /// <summary>The zero-based page from the address's one-based <c>page</c>.</summary>
    public static int PageIndex(int? page) => page is > 0 ? page.Value - 1 : 0;

    public static int PageSize(int? size) => size is { } s && PageSizes.Contains(s) ? s : PageSizes[0];
}
