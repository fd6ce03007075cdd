// The post editor (CKEditor 4, standard package, from Flask-CKEditor's): our settings, read before it
// starts. CKEditor turns every textarea of class "ckeditor" (CKEditorField, webapp/forms.py) into
// the editor by itself, when the page's HTML has loaded.
// No spell checker as you type (scayt, wsc: they would call a spelling service on another site),
// no "about" dialog (links to ckeditor.com). The posts are cleaned with nh3 when they are saved.
CKEDITOR.config.removePlugins = 'scayt,wsc,about';
CKEDITOR.config.height = 300;
// The package's config.js, here: with nothing more to fetch (this file, the language and the styles
// are loaded by the page, blog/post_editor.html), the editor is drawn before the page's load event.
CKEDITOR.config.customConfig = '';
CKEDITOR.config.language = 'en';
CKEDITOR.config.toolbarGroups = [
  {name: 'clipboard', groups: ['clipboard', 'undo']},
  {name: 'editing', groups: ['find', 'selection', 'spellchecker']},
  {name: 'links'},
  {name: 'insert'},
  {name: 'forms'},
  {name: 'tools'},
  {name: 'document', groups: ['mode', 'document', 'doctools']},
  {name: 'others'},
  '/',
  {name: 'basicstyles', groups: ['basicstyles', 'cleanup']},
  {name: 'paragraph', groups: ['list', 'indent', 'blocks', 'align', 'bidi']},
  {name: 'styles'},
  {name: 'colors'},
  {name: 'about'}
];
CKEDITOR.config.removeButtons = 'Underline,Subscript,Superscript';
CKEDITOR.config.format_tags = 'p;h1;h2;h3;pre';
CKEDITOR.config.removeDialogTabs = 'image:advanced;link:advanced';
