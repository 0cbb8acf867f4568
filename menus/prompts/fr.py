"""French prompts: the meaning of the English reference sentences."""

PROMPTS = {
    # Shared by every flow
    "not_understood": "Désolé, ce choix n'est pas valide.",
    "goodbye": "Au revoir.",
    "apology": "Nous sommes désolés, un problème technique nous empêche de traiter votre "
    "appel. Veuillez rappeler plus tard. Au revoir.",
    # Access: menus
    "main_menu": "Pour écouter vos messages, tapez 1. "
    "Pour personnaliser votre messagerie, tapez 2.",
    "customise_menu": "Pour modifier votre annonce, tapez 1. Pour votre code secret, tapez 2.",
    # Access: logging in
    "enter_line": "Veuillez composer votre numéro de ligne suivi de la touche dièse.",
    "enter_code": "Veuillez composer votre code secret suivi de la touche dièse.",
    "wrong_code": "Code incorrect.",
    "locked": "Votre messagerie est bloquée après trois codes incorrects. "
    "Veuillez contacter le service client.",
    "remote_needs_code": "L'accès à distance nécessite un code secret. "
    "Vous pouvez le créer depuis votre ligne fixe.",
    # Access: the secret code menu
    "no_code_yet": "Vous n'avez pas encore choisi de code secret. Un code secret est "
    "nécessaire pour accéder à votre messagerie à distance par téléphone.",
    "create_code": "Pour créer votre code secret, tapez 1.",
    "code_active": "Votre code secret est actif. Pour le modifier, tapez 1.",
    "ask_is_on": "Votre code est demandé sur votre ligne fixe. Pour ne plus le demander, tapez 2.",
    "ask_is_off": "Votre code n'est pas demandé sur votre ligne fixe. "
    "Pour le demander à nouveau, tapez 2.",
    "choose_code": "Veuillez composer les quatre chiffres du code secret que vous avez "
    "choisi, suivis de la touche dièse.",
    "code_readback": "Vous avez composé {pending_code:digits}. Si ce code vous convient, "
    "tapez 1. Pour composer un autre code, tapez 2.",
    "saved": "Votre demande a bien été prise en compte.",
    "code_weak": "Ce code est trop facile à deviner. Veuillez en choisir un autre.",
    "code_length": "Votre code secret doit comporter quatre chiffres.",
    "fixed_line_only": "Votre code secret ne peut être créé ou modifié "
    "que depuis votre ligne fixe.",
    # Voicemail: leaving a message
    "standard_greeting": "Vous êtes sur la messagerie du {mailbox_number:digits}. "
    "Veuillez laisser un message après le bip.",
    "message_recorded": "Votre message a bien été enregistré.",
    "mailbox_full": "Cette messagerie est pleine et ne peut plus recevoir de messages.",
    "deposit_unknown_line": "Désolé, il n'y a pas de messagerie à ce numéro.",
    # Voicemail: listening
    "message_count": "Vous avez {new_count:plural=new_messages} "
    "et {saved_count:plural=saved_messages}.",
    "new_messages_one": "{count} nouveau message",
    "new_messages_other": "{count} nouveaux messages",
    "saved_messages_one": "{count} message sauvegardé",
    "saved_messages_other": "{count} messages sauvegardés",
    "envelope": "Message reçu le {received_date} à {received_time}, du {caller:digits}.",
    "envelope_unknown": "Message reçu le {received_date} à {received_time}, d'un numéro inconnu.",
    "message_options": "Pour réécouter ce message, tapez 1. Pour le conserver et écouter "
    "le suivant, tapez 2. Pour le supprimer, tapez 3.",
    "message_deleted": "Message supprimé.",
    "no_more_messages": "Vous n'avez plus de message.",
    # Voicemail: the greeting
    "greeting_menu": "Pour enregistrer une annonce personnalisée, tapez 1. "
    "Pour revenir à l'annonce standard, tapez 2.",
    "greeting_record": "Veuillez enregistrer votre annonce après le bip, "
    "puis tapez sur la touche dièse.",
    "greeting_review": "Pour conserver cette annonce, tapez 1. "
    "Pour l'enregistrer à nouveau, tapez 2.",
    # Voicemail: the caller's controls (issue 13)
    "greeting_name_before": "Vous êtes sur la messagerie de",
    "greeting_name_after": "Veuillez laisser un message après le bip.",
    "connect_operator": "Veuillez patienter, nous transférons votre appel.",
    "message_too_short": "Votre message est trop court. Veuillez parler après le bip.",
    "review_options": "Pour envoyer votre message, tapez 1. Pour l'écouter, tapez 2. "
    "Pour l'enregistrer à nouveau, tapez 3. Pour le marquer urgent et l'envoyer, tapez 4.",
    "record_again": "Veuillez enregistrer votre message après le bip.",
    "marked_urgent": "Votre message est marqué urgent.",
    # Voicemail: the subscriber's controls (issue 13)
    "urgent_count": "{urgent_count:plural=urgent_messages}",
    "urgent_messages_one": "Dont {count} urgent.",
    "urgent_messages_other": "Dont {count} urgents.",
    "urgent_message": "Urgent.",
    "message_more_options": "Pour le message précédent, tapez 4. Pour réécouter son "
    "enveloppe, tapez 5. Pour passer directement à ces choix, tapez dièse. "
    "Pour les réécouter, tapez 0.",
    "no_previous_message": "C'est votre premier message.",
    "greeting_more_options": "Pour enregistrer votre nom, tapez 3. "
    "Pour une annonce d'absence, tapez 4.",
    "name_record": "Veuillez dire votre nom après le bip, puis tapez sur la touche dièse.",
    "name_review": "Pour conserver ce nom, tapez 1. Pour l'enregistrer à nouveau, tapez 2.",
    "away_is_on": "Votre annonce d'absence est active jusqu'au {away_until}.",
    "away_on_options": "Pour la désactiver, tapez 1. Pour en enregistrer une nouvelle, tapez 2.",
    "away_date": "Veuillez composer le dernier jour de votre absence : deux chiffres pour "
    "le jour, deux pour le mois, puis la touche dièse.",
    "away_date_invalid": "Cette date n'est pas valide. Elle doit être dans l'année qui vient.",
    "away_record": "Veuillez enregistrer votre annonce d'absence après le bip, "
    "puis tapez sur la touche dièse.",
    "away_review": "Pour conserver cette annonce d'absence, tapez 1. "
    "Pour l'enregistrer à nouveau, tapez 2.",
    "away_reminder": "Votre annonce d'absence est active jusqu'au {away_until}.",
    # Support line: service PIN (SPEC §4.4)
    "enter_service_pin": "Veuillez composer votre code PIN de service suivi de la touche dièse.",
    "enter_customer_number": "Veuillez composer votre numéro client suivi de la touche dièse.",
    "identity_confirmed": "Merci, votre identité est confirmée.",
    "pin_not_valid": "Ce code PIN n'est pas valide.",
    "identity_not_confirmed": "Nous n'avons pas pu confirmer votre identité.",
    "connect_adviser": "Veuillez patienter, un conseiller va prendre votre appel.",
    "support_unavailable": "Le service client ne peut pas prendre votre appel pour le "
    "moment. Veuillez rappeler plus tard. Au revoir.",
    # Support line: what the adviser hears before the call is put through
    "whisper_verified_permanent": "Appelant vérifié par son code PIN permanent.",
    "whisper_verified_temporary": "Appelant vérifié par un code PIN temporaire.",
    "whisper_unverified": "Appelant non vérifié.",
}
