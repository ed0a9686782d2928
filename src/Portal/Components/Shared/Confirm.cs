using MudBlazor;

namespace Wharf.Portal.Components.Shared;

/// <summary>The portal's yes/no question before something that cannot be undone: the confirming button says what it does.</summary>
public static class Confirm
{
    public static async Task<bool> AskAsync(IDialogService dialogs, string title, string message, string confirm)
    {
        var answer = await dialogs.ShowMessageBoxAsync(new MessageBoxOptions
        {
            Title = title,
            Message = message,
            YesText = confirm,
            CancelText = "Cancel",
        }, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        return answer == true;
    }
}
