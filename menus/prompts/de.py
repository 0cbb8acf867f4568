"""German prompts: the meaning of the English reference sentences."""

PROMPTS = {
    # Shared by every flow
    "not_understood": "Diese Auswahl ist leider nicht gültig.",
    "goodbye": "Auf Wiederhören.",
    "apology": "Leider können wir Ihren Anruf wegen einer technischen Störung nicht "
    "bearbeiten. Bitte rufen Sie später wieder an. Auf Wiederhören.",
    # Access: menus
    "main_menu": "Um Ihre Nachrichten abzuhören, drücken Sie die 1. "
    "Um Ihre Mailbox einzurichten, drücken Sie die 2.",
    "customise_menu": "Um Ihre Ansage zu ändern, drücken Sie die 1. "
    "Für Ihre Geheimzahl drücken Sie die 2.",
    # Access: logging in
    "enter_line": "Bitte geben Sie Ihre Rufnummer ein, gefolgt von der Rautetaste.",
    "enter_code": "Bitte geben Sie Ihre Geheimzahl ein, gefolgt von der Rautetaste.",
    "wrong_code": "Falsche Geheimzahl.",
    "locked": "Ihre Mailbox ist nach drei falschen Geheimzahlen gesperrt. "
    "Bitte wenden Sie sich an den Kundenservice.",
    "remote_needs_code": "Für den Fernzugriff ist eine Geheimzahl nötig. "
    "Sie können sie von Ihrem Festnetzanschluss aus einrichten.",
    # Access: the secret code menu
    "no_code_yet": "Sie haben noch keine Geheimzahl gewählt. Eine Geheimzahl ist nötig, "
    "um Ihre Mailbox aus der Ferne per Telefon abzufragen.",
    "create_code": "Um Ihre Geheimzahl einzurichten, drücken Sie die 1.",
    "code_active": "Ihre Geheimzahl ist aktiv. Um sie zu ändern, drücken Sie die 1.",
    "ask_is_on": "Ihre Geheimzahl wird an Ihrem Festnetzanschluss abgefragt. "
    "Um die Abfrage abzuschalten, drücken Sie die 2.",
    "ask_is_off": "Ihre Geheimzahl wird an Ihrem Festnetzanschluss nicht abgefragt. "
    "Um die Abfrage einzuschalten, drücken Sie die 2.",
    "choose_code": "Bitte geben Sie die vier Ziffern der gewählten Geheimzahl ein, "
    "gefolgt von der Rautetaste.",
    "code_readback": "Sie haben {pending_code:digits} gewählt. Wenn diese Geheimzahl passt, "
    "drücken Sie die 1. Um eine andere zu wählen, drücken Sie die 2.",
    "saved": "Ihr Auftrag wurde übernommen.",
    "code_weak": "Diese Geheimzahl ist zu leicht zu erraten. Bitte wählen Sie eine andere.",
    "code_length": "Ihre Geheimzahl muss vier Ziffern haben.",
    "fixed_line_only": "Ihre Geheimzahl kann nur von Ihrem Festnetzanschluss aus "
    "eingerichtet oder geändert werden.",
    # Voicemail: leaving a message
    "standard_greeting": "Sie sind mit der Mailbox von {mailbox_number:digits} verbunden. "
    "Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
    "message_recorded": "Ihre Nachricht wurde aufgezeichnet.",
    "mailbox_full": "Diese Mailbox ist voll und kann keine Nachrichten mehr annehmen.",
    "deposit_unknown_line": "Unter dieser Nummer gibt es leider keine Mailbox.",
    # Voicemail: listening
    "message_count": "Sie haben {new_count:plural=new_messages} "
    "und {saved_count:plural=saved_messages}.",
    "new_messages_one": "{count} neue Nachricht",
    "new_messages_other": "{count} neue Nachrichten",
    "saved_messages_one": "{count} gespeicherte Nachricht",
    "saved_messages_other": "{count} gespeicherte Nachrichten",
    "envelope": "Nachricht vom {received_date} um {received_time}, von {caller:digits}.",
    "envelope_unknown": "Nachricht vom {received_date} um {received_time}, "
    "von einer unbekannten Nummer.",
    "message_options": "Um die Nachricht noch einmal zu hören, drücken Sie die 1. Um sie zu "
    "behalten und die nächste zu hören, drücken Sie die 2. Um sie zu löschen, "
    "drücken Sie die 3.",
    "message_deleted": "Nachricht gelöscht.",
    "no_more_messages": "Sie haben keine weiteren Nachrichten.",
    # Voicemail: the greeting
    "greeting_menu": "Um eine persönliche Ansage aufzunehmen, drücken Sie die 1. "
    "Um zur Standardansage zurückzukehren, drücken Sie die 2.",
    "greeting_record": "Bitte sprechen Sie Ihre Ansage nach dem Signalton "
    "und drücken Sie dann die Rautetaste.",
    "greeting_review": "Um diese Ansage zu behalten, drücken Sie die 1. "
    "Um sie neu aufzunehmen, drücken Sie die 2.",
    # Voicemail: the caller's controls (issue 13)
    "greeting_name_before": "Sie sind mit der Mailbox von",
    "greeting_name_after": "verbunden. Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
    "connect_operator": "Bitte bleiben Sie am Apparat, wir verbinden Sie.",
    "message_too_short": "Ihre Nachricht ist zu kurz. Bitte sprechen Sie nach dem Signalton.",
    "review_options": "Um Ihre Nachricht zu senden, drücken Sie die 1. Um sie anzuhören, "
    "drücken Sie die 2. Um sie neu aufzunehmen, drücken Sie die 3. Um sie als dringend "
    "zu markieren und zu senden, drücken Sie die 4.",
    "record_again": "Bitte sprechen Sie Ihre Nachricht nach dem Signalton.",
    "marked_urgent": "Ihre Nachricht ist als dringend markiert.",
    # Voicemail: the subscriber's controls (issue 13)
    "urgent_count": "{urgent_count:plural=urgent_messages}",
    "urgent_messages_one": "Davon ist {count} dringend.",
    "urgent_messages_other": "Davon sind {count} dringend.",
    "urgent_message": "Dringend.",
    "message_more_options": "Für die vorherige Nachricht drücken Sie die 4. Um die Angaben "
    "zur Nachricht noch einmal zu hören, drücken Sie die 5. Um direkt zu dieser Auswahl "
    "zu springen, drücken Sie die Rautetaste. Um sie noch einmal zu hören, drücken Sie die 0.",
    "no_previous_message": "Dies ist Ihre erste Nachricht.",
    "greeting_more_options": "Um Ihren Namen aufzunehmen, drücken Sie die 3. "
    "Für eine Abwesenheitsansage drücken Sie die 4.",
    "name_record": "Bitte sprechen Sie Ihren Namen nach dem Signalton "
    "und drücken Sie dann die Rautetaste.",
    "name_review": "Um diesen Namen zu behalten, drücken Sie die 1. "
    "Um ihn neu aufzunehmen, drücken Sie die 2.",
    "away_is_on": "Ihre Abwesenheitsansage ist bis {away_until} eingeschaltet.",
    "away_on_options": "Um sie auszuschalten, drücken Sie die 1. "
    "Um eine neue aufzunehmen, drücken Sie die 2.",
    "away_date": "Bitte geben Sie den letzten Tag Ihrer Abwesenheit ein: zwei Ziffern für "
    "den Tag, zwei für den Monat, dann die Rautetaste.",
    "away_date_invalid": "Dieses Datum ist nicht gültig. Es muss innerhalb des kommenden "
    "Jahres liegen.",
    "away_record": "Bitte sprechen Sie Ihre Abwesenheitsansage nach dem Signalton "
    "und drücken Sie dann die Rautetaste.",
    "away_review": "Um diese Abwesenheitsansage zu behalten, drücken Sie die 1. "
    "Um sie neu aufzunehmen, drücken Sie die 2.",
    "away_reminder": "Ihre Abwesenheitsansage ist bis {away_until} eingeschaltet.",
    # Support line: service PIN (SPEC §4.4)
    "enter_service_pin": "Bitte geben Sie Ihre Service-PIN ein, gefolgt von der Rautetaste.",
    "enter_customer_number": "Bitte geben Sie Ihre Kundennummer ein, gefolgt von der Rautetaste.",
    "identity_confirmed": "Vielen Dank, Ihre Identität ist bestätigt.",
    "pin_not_valid": "Diese PIN ist nicht gültig.",
    "identity_not_confirmed": "Wir konnten Ihre Identität nicht bestätigen.",
    "connect_adviser": "Bitte bleiben Sie am Apparat, ein Berater übernimmt Ihren Anruf.",
    "support_unavailable": "Der Kundenservice kann Ihren Anruf im Moment nicht annehmen. "
    "Bitte rufen Sie später wieder an. Auf Wiederhören.",
    # Support line: what the adviser hears before the call is put through
    "whisper_verified_permanent": "Anrufer mit permanenter PIN bestätigt.",
    "whisper_verified_temporary": "Anrufer mit temporärer PIN bestätigt.",
    "whisper_unverified": "Anrufer nicht bestätigt.",
}
