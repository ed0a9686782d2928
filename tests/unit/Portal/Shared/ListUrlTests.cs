using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Wharf.Portal.Components.Shared;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Shared;

/// <summary>A list's page, sort and search in the address: what is written there, and how it is read back.</summary>
public sealed class ListUrlTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private BunitNavigationManager Navigation => (BunitNavigationManager)_context.Services.GetRequiredService<NavigationManager>();

    [Fact]
    public void The_default_view_leaves_the_address_alone()
    {
        Navigation.NavigateTo("repositories");
        var entries = Navigation.History.Count;
        new ListUrl(0, 25, "name", false, null).WriteTo(Navigation, "name", false);
        Assert.EndsWith("/repositories", Navigation.Uri);
        Assert.Equal(entries, Navigation.History.Count);
    }

    [Fact]
    public void Another_page_size_sort_and_search_are_written_one_based_and_replace_the_history_entry()
    {
        Navigation.NavigateTo("repositories");
        new ListUrl(2, 50, "Size", true, "api").WriteTo(Navigation, "name", false);
        // The framework writes booleans as True/False; SupplyParameterFromQuery reads either case.
        Assert.Equal("repositories?page=3&size=50&sort=size&desc=true&q=api", Navigation.ToBaseRelativePath(Navigation.Uri), ignoreCase: true);
        Assert.True(Navigation.History.First().Options.ReplaceHistoryEntry);

        // Back on the first page in the default order: the parameters go again.
        new ListUrl(0, 25, "name", false, null).WriteTo(Navigation, "name", false);
        Assert.Equal("repositories", Navigation.ToBaseRelativePath(Navigation.Uri));
    }

    [Fact]
    public void The_default_column_in_the_other_direction_is_written()
    {
        Navigation.NavigateTo("tags");
        new ListUrl(0, 25, "pushed", false, null).WriteTo(Navigation, "pushed", true);
        Assert.Equal("tags?sort=pushed&desc=false", Navigation.ToBaseRelativePath(Navigation.Uri), ignoreCase: true);
    }

    [Theory]
    [InlineData("size", "size", true, SortDirection.Descending)]
    [InlineData("size", "size", false, SortDirection.Ascending)]
    [InlineData("size", "name", false, SortDirection.None)]
    [InlineData("name", null, null, SortDirection.Ascending)]
    [InlineData("size", null, null, SortDirection.None)]
    public void A_column_starts_sorted_as_the_address_says_or_as_the_list_defaults(string column, string? sort, bool? descending, SortDirection expected) =>
        Assert.Equal(expected, ListUrl.Direction(column, sort, descending, "name", false));

    [Theory]
    [InlineData(null, 0)]
    [InlineData(0, 0)]
    [InlineData(-3, 0)]
    [InlineData(1, 0)]
    [InlineData(4, 3)]
    public void The_page_in_the_address_is_one_based(int? page, int index) => Assert.Equal(index, ListUrl.PageIndex(page));

    [Theory]
    [InlineData(null, 25)]
    [InlineData(50, 50)]
    [InlineData(100, 100)]
    [InlineData(1000, 25)]
    [InlineData(7, 25)]
    public void Only_an_offered_page_size_is_taken_from_the_address(int? size, int expected) => Assert.Equal(expected, ListUrl.PageSize(size));
}
